//! Fuzzes the checkpoint readers of `spikeflow train` / `eval`: the
//! safetensors decoder (structure-aware: header length, JSON header fields —
//! dtype, shape, data_offsets, metadata order — set to huge, negative,
//! overlapping or missing values, plus byte mutations) and the whole
//! checkpoint folder reader (`checkpoint.json` + `state.safetensors`, with the
//! recorded length and CRC sometimes recomputed so mutations reach the
//! decoder). And the sweep the issue asks for: every byte of a small
//! checkpoint flipped in turn and every truncation length — always refused,
//! naming the file, never a different model accepted.

#[allow(dead_code)]
#[path = "../src/checkpoint.rs"]
mod checkpoint;
#[path = "../../spikeflow/tests/fuzz_support/mod.rs"]
mod fuzz_support;

use checkpoint::*;
use fuzz_support::{check, iterations, mutate_bytes, report, seed, Gen, Stats};
use serde_json::{json, Value};
use std::fs;
use std::path::PathBuf;

fn sample_arrays() -> Arrays {
    vec![
        (
            "w".into(),
            Array::F32(vec![3, 2], vec![0.5, -1.0, 2.0, 0.0, 1e-3, 7.0]),
        ),
        ("theta".into(), Array::f32(vec![0.1, 0.2, 0.3])),
        ("rng".into(), Array::U8(vec![4], vec![1, 2, 3, 4])),
        ("empty".into(), Array::f32(vec![])),
        ("acc".into(), Array::F64(vec![2], vec![0.25, 0.75])),
    ]
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sf-fuzz-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

/// Edits one field of the safetensors JSON header.
fn edit_header(g: &mut Gen, bytes: &[u8]) -> Option<Vec<u8>> {
    let hlen = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let mut h: Value = serde_json::from_slice(bytes.get(8..8 + hlen)?).ok()?;
    let data = bytes[8 + hlen..].to_vec();
    let names: Vec<String> = h.as_object()?.keys().cloned().collect();
    let name = &names[g.below(names.len())];
    let evil = [
        json!(null),
        json!(-1),
        json!(1e300),
        json!(u64::MAX),
        json!(1_000_000_000_000u64),
        json!([u64::MAX, 2]),
        json!([1_000_000, 1_000_000, 1_000_000]),
        json!([0, u64::MAX]),
        json!([5, 2]),
        json!("F16"),
        json!("U8"),
        json!({}),
        json!(""),
        json!("w\nw"),
        json!([]),
    ];
    let v = evil[g.below(evil.len())].clone();
    let field = ["dtype", "shape", "data_offsets", "order", "format"][g.below(5)];
    if g.chance(8) {
        h[name] = v;
    } else if let Some(o) = h[name].as_object_mut() {
        o.insert(field.into(), v);
    }
    let mut hb = serde_json::to_vec(&h).ok()?;
    if g.chance(4) {
        hb.extend_from_slice(b"   ");
    }
    let mut out = (hb.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&hb);
    out.extend_from_slice(&data);
    Some(out)
}

#[test]
fn fuzz_safetensors_decoder() {
    let good = encode_safetensors(&sample_arrays()).unwrap();
    let seeds = [
        good.clone(),
        encode_safetensors(&vec![]).unwrap(),
        encode_safetensors(&vec![("x".into(), Array::U8(vec![0, 5], vec![]))]).unwrap(),
    ];
    let mut g = Gen::new(seed());
    let mut stats = Stats::default();
    for _ in 0..iterations(10_000) {
        let mut input = seeds[g.below(seeds.len())].clone();
        if g.chance(2) {
            if let Some(e) = edit_header(&mut g, &input) {
                input = e;
            }
        }
        if g.below(3) != 0 {
            for _ in 0..1 + g.below(3) {
                mutate_bytes(&mut g, &mut input);
            }
        }
        check("safetensors", &mut stats, &input, |b| {
            decode_safetensors(b).map(|a| {
                // Whatever is accepted must re-encode to a valid file.
                let again = encode_safetensors(&a).expect("re-encode");
                let back = decode_safetensors(&again).expect("decode again");
                assert_eq!(encode_safetensors(&back).expect("re-encode"), again);
            })
        });
    }
    report("safetensors", &stats);
}

#[test]
fn fuzz_checkpoint_folder() {
    let dir = tmp("folder");
    let ck = dir.join("ckpt-1");
    let meta = json!({"format": FORMAT, "version": VERSION, "step": 20, "seed": 0,
                      "config": {"neurons": 4, "dt": 1.0}});
    write_checkpoint(&ck, &meta, &sample_arrays()).unwrap();
    let meta_bytes = fs::read(ck.join(META)).unwrap();
    let arr_bytes = fs::read(ck.join(ARRAYS)).unwrap();
    let mut g = Gen::new(seed() ^ 1);
    let mut stats = Stats::default();
    for _ in 0..iterations(10_000) / 4 {
        let (mut m, mut a) = (meta_bytes.clone(), arr_bytes.clone());
        match g.below(3) {
            0 => {
                for _ in 0..1 + g.below(3) {
                    mutate_bytes(&mut g, &mut m)
                }
            }
            1 => {
                for _ in 0..1 + g.below(3) {
                    mutate_bytes(&mut g, &mut a)
                }
            }
            _ => {
                // Structure-aware: mutate the arrays and record their new
                // length and CRC, so the decoder sees the damage.
                if let Some(e) = edit_header(&mut g, &a) {
                    a = e;
                }
                if g.chance(2) {
                    mutate_bytes(&mut g, &mut a);
                }
                let mut mv: Value = serde_json::from_slice(&m).unwrap();
                mv["arrays"]["bytes"] = json!(a.len());
                mv["arrays"]["crc32"] = json!(crc32(&a));
                m = serde_json::to_vec(&mv).unwrap();
            }
        }
        // Keep the metadata CRC right in two inputs out of three, so the
        // mutations reach the JSON checks behind it.
        if g.below(3) != 0 {
            fs::write(ck.join(META_CRC), format!("{:08x}", crc32(&m))).unwrap();
        } else {
            fs::write(ck.join(META_CRC), format!("{:08x}", crc32(&meta_bytes))).unwrap();
        }
        fs::write(ck.join(META), &m).unwrap();
        fs::write(ck.join(ARRAYS), &a).unwrap();
        let mut joined = m.clone();
        joined.extend_from_slice(&a);
        check("checkpoint-folder", &mut stats, &joined, |_| {
            read_checkpoint(&ck).map(|l| l.arrays.len())
        });
    }
    report("checkpoint-folder", &stats);
    fs::remove_dir_all(&dir).ok();
}

/// Every byte of `state.safetensors` flipped in turn, and every truncation
/// of it: refused, and the error names the file.
#[test]
fn every_flip_and_truncation_of_the_arrays_is_refused() {
    let dir = tmp("sweep");
    let ck = dir.join("ckpt-1");
    let meta = json!({"format": FORMAT, "version": VERSION, "step": 20});
    write_checkpoint(&ck, &meta, &sample_arrays()).unwrap();
    let ap = ck.join(ARRAYS);
    let good = fs::read(&ap).unwrap();
    let mut refused = 0;
    for i in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= mask;
            fs::write(&ap, &b).unwrap();
            let e = read_checkpoint(&ck)
                .err()
                .unwrap_or_else(|| panic!("flip {i}^{mask:#x} accepted"));
            assert!(format!("{e:#}").contains(ARRAYS), "{e:#}");
            refused += 1;
        }
    }
    for cut in 0..good.len() {
        fs::write(&ap, &good[..cut]).unwrap();
        let e = read_checkpoint(&ck)
            .err()
            .unwrap_or_else(|| panic!("cut {cut} accepted"));
        assert!(format!("{e:#}").contains(ARRAYS), "{e:#}");
        refused += 1;
    }
    fs::write(&ap, &good).unwrap();
    assert_eq!(read_checkpoint(&ck).unwrap().arrays, sample_arrays());
    eprintln!("SWEEP arrays: {refused} corrupted files refused");
    fs::remove_dir_all(&dir).ok();
}

/// Every byte of `checkpoint.json` flipped in turn, and every truncation:
/// either refused naming the file, or (a flip inside insignificant
/// whitespace) read back as exactly the same metadata. Never a different
/// checkpoint accepted.
#[test]
fn every_flip_and_truncation_of_the_metadata_is_refused() {
    let dir = tmp("sweep-meta");
    let ck = dir.join("ckpt-1");
    let meta = json!({"format": FORMAT, "version": VERSION, "step": 20, "seed": 3,
                      "config": {"neurons": 4, "dt": 1.0, "name": "x"}});
    write_checkpoint(&ck, &meta, &sample_arrays()).unwrap();
    let mp = ck.join(META);
    let good = fs::read(&mp).unwrap();
    let original = read_checkpoint(&ck).unwrap().meta;
    let (mut refused, mut same, mut wrong) = (0, 0, Vec::new());
    for i in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = good.clone();
            b[i] ^= mask;
            fs::write(&mp, &b).unwrap();
            match read_checkpoint(&ck) {
                Err(e) => {
                    assert!(
                        format!("{e:#}").contains(META) || format!("{e:#}").contains(ARRAYS),
                        "{e:#}"
                    );
                    refused += 1;
                }
                Ok(l) if l.meta == original => same += 1,
                Ok(_) => wrong.push(format!("byte {i} ^ {mask:#x}")),
            }
        }
    }
    for cut in 0..good.len() {
        fs::write(&mp, &good[..cut]).unwrap();
        match read_checkpoint(&ck) {
            Err(_) => refused += 1,
            Ok(l) if l.meta == original => same += 1,
            Ok(_) => wrong.push(format!("cut at {cut}")),
        }
    }
    eprintln!(
        "SWEEP meta: {refused} refused, {same} identical, {} wrong accepted",
        wrong.len()
    );
    fs::remove_dir_all(&dir).ok();
    assert!(
        wrong.is_empty(),
        "{} altered checkpoint.json files accepted: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}
