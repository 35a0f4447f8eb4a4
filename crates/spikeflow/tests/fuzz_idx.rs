//! Fuzzes the IDX reader (raw and gzip) with a seeded, structure-aware
//! mutator: valid files are edited at the header-field level (magic, element
//! type, number of dimensions, dimensions set to 0 / 2^32-1 / values whose
//! product overflows), mutated byte by byte (bit flips, inserts, deletes,
//! truncation, interesting values), and gzip-compressed before or after the
//! mutation. Every input must give `Ok` or an `Err`, never a panic, within a
//! second. `cargo test` runs 10^4 inputs; `FUZZ_ITERS=1000000` (see
//! `scripts/fuzz-campaign.sh`) runs the long campaign.

mod fuzz_support;

use fuzz_support::{check, iterations, mutate_bytes, report, seed, Gen, Stats};
use spikeflow::datasets::idx::{parse_idx, IMAGES_MAGIC, LABELS_MAGIC};
use std::io::Write;

fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = magic.to_be_bytes().to_vec();
    for d in dims {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend_from_slice(data);
    v
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn seeds() -> Vec<Vec<u8>> {
    let img: Vec<u8> = (0..2 * 5 * 4).map(|i| (i * 7) as u8).collect();
    let raw = vec![
        idx(IMAGES_MAGIC, &[2, 5, 4], &img),
        idx(LABELS_MAGIC, &[6], &[0, 1, 2, 9, 3, 4]),
        idx(0x0000_0802, &[3, 2], &[1, 2, 3, 4, 5, 6]),
        idx(LABELS_MAGIC, &[0], &[]),
    ];
    let mut all = raw.clone();
    all.extend(raw.iter().map(|r| gz(r)));
    // The shipped sample's label file (gzip, real-world framing).
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/mnist-sample/t10k-labels-idx1-ubyte.gz");
    all.push(std::fs::read(sample).unwrap());
    all
}

/// A header-field edit of a raw IDX file.
fn edit_header(g: &mut Gen, data: &mut [u8]) {
    if data.len() < 4 {
        return;
    }
    match g.below(4) {
        0 => data[2] = [0x08, 0x09, 0x0b, 0x0d, 0x0e, 0x00, 0xff][g.below(7)],
        1 => data[3] = [0, 1, 2, 3, 4, 200, 255][g.below(7)],
        _ => {
            let ndims = usize::from(data[3]);
            if ndims == 0 {
                return;
            }
            let k = g.below(ndims);
            let at = 4 + 4 * k;
            let v: u32 = [0, 1, 2, 28, 60_000, 0x7fff_ffff, u32::MAX, 1 << 20][g.below(8)];
            if at + 4 <= data.len() {
                data[at..at + 4].copy_from_slice(&v.to_be_bytes());
            }
        }
    }
}

#[test]
fn fuzz_idx_parser() {
    let seeds = seeds();
    let mut g = Gen::new(seed());
    let mut stats = Stats::default();
    let n = iterations(10_000);
    for _ in 0..n {
        let base = &seeds[g.below(seeds.len())];
        let mut input = base.clone();
        let is_gz = input.starts_with(&[0x1f, 0x8b]);
        let mode = g.below(4);
        if mode == 0 && is_gz {
            // Mutate under the compression: decompress, edit, recompress.
            let mut raw = Vec::new();
            use std::io::Read;
            flate2::read::MultiGzDecoder::new(&input[..])
                .read_to_end(&mut raw)
                .unwrap();
            edit_header(&mut g, &mut raw);
            for _ in 0..g.below(3) {
                mutate_bytes(&mut g, &mut raw);
            }
            input = gz(&raw);
        } else {
            if !is_gz && g.chance(2) {
                edit_header(&mut g, &mut input);
            }
            for _ in 0..1 + g.below(4) {
                mutate_bytes(&mut g, &mut input);
            }
        }
        let magic = [None, Some(IMAGES_MAGIC), Some(LABELS_MAGIC)][g.below(3)];
        check("idx", &mut stats, &input, |b| {
            parse_idx(b, "fuzz.idx", magic)
        });
    }
    report("idx", &stats);
    assert!(stats.err > 0);
}

/// Size bombs: headers that claim ~10^12 elements or more, and a gzip bomb
/// (a small file that decompresses to much more than it declares). Each is
/// refused with a format error, quickly, without allocating the claim.
#[test]
fn size_bombs_are_refused() {
    // 10^4 × 10^4 × 10^4 = 10^12 declared elements, 8 present.
    let claims: [&[u32]; 4] = [
        &[10_000, 10_000, 10_000],
        &[u32::MAX, u32::MAX, u32::MAX],
        &[u32::MAX, 28, 28],
        &[u32::MAX, u32::MAX],
    ];
    for dims in claims {
        let magic = 0x0000_0800 | dims.len() as u32;
        for bytes in [idx(magic, dims, &[0; 8]), gz(&idx(magic, dims, &[0; 8]))] {
            let t = std::time::Instant::now();
            let e = parse_idx(&bytes[..], "bomb.idx", None).unwrap_err();
            assert!(matches!(e, spikeflow::Error::Format { .. }), "{e}");
            let m = e.to_string();
            assert!(
                m.contains("bomb.idx") && (m.contains("truncated") || m.contains("overflows")),
                "{m}"
            );
            assert!(t.elapsed().as_millis() < 500);
        }
    }
    // 1 label declared, 64 MiB of zeros follow in a 64 KiB gzip stream:
    // the reader stops one byte past the claim and counts at most 16 MiB.
    let mut raw = idx(LABELS_MAGIC, &[1], &[0]);
    raw.resize(raw.len() + (64 << 20), 0);
    let bomb = gz(&raw);
    assert!(bomb.len() < 1 << 20);
    let m = parse_idx(&bomb[..], "bomb.idx.gz", None)
        .unwrap_err()
        .to_string();
    assert!(m.contains("more than 16777216 trailing byte(s)"), "{m}");
}
