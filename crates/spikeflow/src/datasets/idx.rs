//! Reading IDX files (the MNIST container format), raw or gzip-compressed.
//!
//! An IDX file is a big-endian header followed by the data:
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 2 | zero |
//! | 2 | 1 | element type (`0x08` = unsigned byte; the only type read here) |
//! | 3 | 1 | number of dimensions `d` |
//! | 4 | 4·d | the dimensions, each a big-endian `u32` |
//! | 4 + 4·d | Π dims | the elements, row-major |
//!
//! So the first four bytes read as one big-endian `u32` "magic number":
//! [`IMAGES_MAGIC`] (`0x00000803`, 3-D unsigned bytes) for image files and
//! [`LABELS_MAGIC`] (`0x00000801`, 1-D unsigned bytes) for label files.
//!
//! A file whose first two bytes are `1f 8b` is decompressed with gzip first,
//! whatever its name. Every check fails with [`Error::Format`] naming the file
//! and what is wrong: wrong magic, unsupported element type, no dimensions,
//! a declared size that overflows, fewer data bytes than declared, trailing
//! bytes after the data, a corrupt gzip stream, label values out of range.
//! The reader never allocates from the header alone: the data buffer grows
//! only as bytes actually arrive, and reading stops one byte past the declared
//! size, so an absurd header (or a gzip bomb) cannot make it allocate more
//! than the declared size plus what the file really holds.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::{Error, Result};

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images
/// `[n, rows, cols]`).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels
/// `[n]`).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

/// The two magic bytes that start every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Element-type code of unsigned bytes.
const TYPE_U8: u8 = 0x08;
/// How many trailing bytes are counted exactly before the message says
/// "more than".
const TRAILING_COUNT_LIMIT: u64 = 1 << 24;

/// An IDX array of unsigned bytes: its dimensions and its elements, row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: Vec<u8>,
}

impl IdxArray {
    /// The dimensions from the header (e.g. `[60000, 28, 28]`).
    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    /// The elements, row-major; `data().len()` is the product of [`dims`](Self::dims).
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Consumes the array, returning its elements.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
}

/// Reads an IDX file of unsigned bytes with any number (≥ 1) of dimensions,
/// raw or gzip-compressed (detected by the magic bytes `1f 8b`).
///
/// ```
/// # use spikeflow::datasets::idx::read_idx;
/// let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-sample");
/// let labels = read_idx(&dir.join("t10k-labels-idx1-ubyte.gz"))?;
/// assert_eq!(labels.dims(), &[500]);
/// assert_eq!(labels.data()[0], 7);
/// # Ok::<(), spikeflow::Error>(())
/// ```
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    read_file(path, None)
}

/// Reads an IDX image file: magic [`IMAGES_MAGIC`], dimensions
/// `[n, rows, cols]` with `rows, cols > 0` (`n` may be 0).
pub fn read_images(path: &Path) -> Result<IdxArray> {
    let array = read_file(path, Some(IMAGES_MAGIC))?;
    let dims = array.dims();
    if dims[1] == 0 || dims[2] == 0 {
        return Err(Error::format(
            path.display().to_string(),
            format!(
                "images of {}×{} pixels: both sizes must be > 0",
                dims[1], dims[2]
            ),
        ));
    }
    Ok(array)
}

/// Reads an IDX label file (magic [`LABELS_MAGIC`]) and checks that every
/// label is below `n_classes`.
pub fn read_labels(path: &Path, n_classes: usize) -> Result<Vec<u8>> {
    let labels = read_file(path, Some(LABELS_MAGIC))?.into_data();
    check_labels(&path.display().to_string(), &labels, n_classes)?;
    Ok(labels)
}

/// Parses an IDX array from any reader (gzip detected as for files); `name`
/// is used in error messages. `expected_magic`, if given, must match the
/// first four bytes.
pub fn parse_idx<R: Read>(reader: R, name: &str, expected_magic: Option<u32>) -> Result<IdxArray> {
    let mut reader = reader;
    // Peek at the first two bytes to detect gzip.
    let mut head = [0u8; 2];
    let got = read_up_to(&mut reader, &mut head).map_err(|e| Error::io(name, e))?;
    let prefix = io::Cursor::new(head[..got].to_vec());
    if got == 2 && head == GZIP_MAGIC {
        let decoder = MultiGzDecoder::new(prefix.chain(reader));
        parse_plain(decoder, name, expected_magic, true)
    } else {
        parse_plain(prefix.chain(reader), name, expected_magic, false)
    }
}

/// Checks that every label is below `n_classes`; the error names the first
/// offending value, its index and how many labels are out of range.
pub(crate) fn check_labels(name: &str, labels: &[u8], n_classes: usize) -> Result<()> {
    let mut bad = labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| usize::from(l) >= n_classes);
    if let Some((i, &l)) = bad.next() {
        let more = bad.count();
        return Err(Error::format(
            name,
            format!(
                "label {l} at index {i} is out of range 0..{n_classes}{}",
                if more > 0 {
                    format!(" ({more} more labels out of range)")
                } else {
                    String::new()
                }
            ),
        ));
    }
    Ok(())
}

fn read_file(path: &Path, expected_magic: Option<u32>) -> Result<IdxArray> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(name.clone(), e))?;
    parse_idx(BufReader::new(file), &name, expected_magic)
}

/// Reads as many bytes as possible into `buf` (stops early only at end of
/// input); returns how many were read.
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Turns an I/O error into the library's error: corrupt gzip data (and any
/// error of the decoder that says the data is bad) is a format error.
fn read_error(name: &str, gzip: bool, e: io::Error) -> Error {
    let data_error = matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    );
    if gzip && data_error {
        Error::format(name, format!("corrupt gzip stream: {e}"))
    } else {
        Error::io(name, e)
    }
}

fn parse_plain<R: Read>(
    mut reader: R,
    name: &str,
    expected_magic: Option<u32>,
    gzip: bool,
) -> Result<IdxArray> {
    let what = if gzip { "decompressed file" } else { "file" };
    let mut magic = [0u8; 4];
    let got = read_up_to(&mut reader, &mut magic).map_err(|e| read_error(name, gzip, e))?;
    if got < 4 {
        return Err(Error::format(
            name,
            format!("{what} is {got} bytes long, too short for an IDX header (at least 4 bytes)"),
        ));
    }
    let magic_value = u32::from_be_bytes(magic);
    if let Some(expected) = expected_magic {
        if magic_value != expected {
            return Err(Error::format(
                name,
                format!(
                    "wrong magic number 0x{magic_value:08x}, expected 0x{expected:08x} ({})",
                    describe_magic(expected)
                ),
            ));
        }
    }
    if magic[0] != 0 || magic[1] != 0 {
        return Err(Error::format(
            name,
            format!("not an IDX file: magic number 0x{magic_value:08x} does not start with two zero bytes"),
        ));
    }
    if magic[2] != TYPE_U8 {
        return Err(Error::format(
            name,
            format!(
                "unsupported IDX element type 0x{:02x} (only 0x08, unsigned byte, is supported)",
                magic[2]
            ),
        ));
    }
    let ndims = usize::from(magic[3]);
    if ndims == 0 {
        return Err(Error::format(name, "IDX header declares 0 dimensions"));
    }
    let mut raw_dims = vec![0u8; 4 * ndims]; // at most 1020 bytes
    let got = read_up_to(&mut reader, &mut raw_dims).map_err(|e| read_error(name, gzip, e))?;
    if got < raw_dims.len() {
        return Err(Error::format(
            name,
            format!(
                "truncated header: {ndims} dimensions need {} header bytes, {what} has only {}",
                4 + 4 * ndims,
                4 + got
            ),
        ));
    }
    let dims: Vec<usize> = raw_dims
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let dims_text = dims
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" × ");
    let expected = dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
        .filter(|&n| usize::try_from(n).is_ok())
        .ok_or_else(|| Error::format(name, format!("declared size {dims_text} overflows")))?;

    // The buffer grows only as data arrives; read at most one byte more than
    // declared so trailing data is detected without reading it all.
    let mut data = Vec::new();
    let limit = expected.saturating_add(1);
    (&mut reader)
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|e| read_error(name, gzip, e))?;
    let header_len = 4 + 4 * ndims;
    if (data.len() as u64) < expected {
        return Err(Error::format(
            name,
            format!(
                "truncated: header declares {dims_text} = {expected} data bytes, {what} has only {} \
                 ({} bytes including the {header_len}-byte header)",
                data.len(),
                header_len + data.len()
            ),
        ));
    }
    if data.len() as u64 > expected {
        // Count the rest without storing it (bounded).
        let rest = io::copy(
            &mut (&mut reader).take(TRAILING_COUNT_LIMIT),
            &mut io::sink(),
        )
        .map_err(|e| read_error(name, gzip, e))?;
        let trailing = 1 + rest;
        let count = if rest >= TRAILING_COUNT_LIMIT {
            format!("more than {TRAILING_COUNT_LIMIT}")
        } else {
            trailing.to_string()
        };
        return Err(Error::format(
            name,
            format!("{count} trailing byte(s) after the {expected} data bytes declared by the header ({dims_text})"),
        ));
    }
    Ok(IdxArray { dims, data })
}

fn describe_magic(magic: u32) -> &'static str {
    match magic {
        IMAGES_MAGIC => "IDX unsigned-byte images with 3 dimensions",
        LABELS_MAGIC => "IDX unsigned-byte labels with 1 dimension",
        _ => "IDX",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn parse(bytes: &[u8], magic: Option<u32>) -> Result<IdxArray> {
        parse_idx(bytes, "x.idx", magic)
    }

    fn message(r: Result<IdxArray>) -> String {
        match r {
            Err(e @ Error::Format { .. }) => e.to_string(),
            other => panic!("expected a format error, got {other:?}"),
        }
    }

    #[test]
    fn reads_raw_and_gzip() {
        let raw = idx(IMAGES_MAGIC, &[2, 1, 3], &[1, 2, 3, 4, 5, 6]);
        for bytes in [raw.clone(), gz(&raw)] {
            let a = parse(&bytes, Some(IMAGES_MAGIC)).unwrap();
            assert_eq!(a.dims(), &[2, 1, 3]);
            assert_eq!(a.data(), &[1, 2, 3, 4, 5, 6]);
        }
    }

    #[test]
    fn empty_array_is_fine() {
        let a = parse(&idx(LABELS_MAGIC, &[0], &[]), Some(LABELS_MAGIC)).unwrap();
        assert!(a.data().is_empty());
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(message(parse(&[0, 0], None)).contains("too short"));
        assert!(message(parse(&[], None)).contains("too short"));
        let m = message(parse(&idx(LABELS_MAGIC, &[1], &[0]), Some(IMAGES_MAGIC)));
        assert!(
            m.starts_with("x.idx: wrong magic number 0x00000801, expected 0x00000803"),
            "{m}"
        );
        assert!(message(parse(&idx(0x0100_0801, &[1], &[0]), None)).contains("not an IDX file"));
        assert!(message(parse(&idx(0x0000_0d01, &[1], &[0]), None)).contains("element type 0x0d"));
        assert!(message(parse(&idx(0x0000_0800, &[], &[]), None)).contains("0 dimensions"));
        let m = message(parse(&idx(IMAGES_MAGIC, &[5, 5], &[]), None));
        assert!(m.contains("truncated header"), "{m}");
    }

    #[test]
    fn absurd_header_does_not_allocate() {
        // 4·10⁹ × 4·10⁹ × 4·10⁹ overflows u64.
        let m = message(parse(&idx(IMAGES_MAGIC, &[u32::MAX; 3], &[1, 2]), None));
        assert!(m.contains("overflows"), "{m}");
        // 4·10⁹ × 28 × 28 bytes declared, two present: truncated, no big allocation.
        let m = message(parse(
            &idx(IMAGES_MAGIC, &[u32::MAX, 28, 28], &[1, 2]),
            None,
        ));
        assert!(m.contains("truncated") && m.contains("has only 2"), "{m}");
    }

    #[test]
    fn truncated_and_trailing() {
        let m = message(parse(&idx(LABELS_MAGIC, &[3], &[1, 2]), None));
        assert!(
            m.contains("declares 3 = 3 data bytes") && m.contains("only 2"),
            "{m}"
        );
        let m = message(parse(&idx(LABELS_MAGIC, &[3], &[1, 2, 3, 4, 5]), None));
        assert!(m.contains("2 trailing byte(s)"), "{m}");
        let m = message(parse(&gz(&idx(LABELS_MAGIC, &[3], &[1, 2, 3, 4])), None));
        assert!(m.contains("1 trailing byte(s)"), "{m}");
    }

    #[test]
    fn corrupt_gzip() {
        let mut bytes = vec![0x1f, 0x8b];
        bytes.extend_from_slice(b"this is not deflate data at all");
        let m = message(parse(&bytes, None));
        assert!(m.contains("gzip"), "{m}");
        // A gzip stream cut in the middle.
        let full = gz(&idx(LABELS_MAGIC, &[1000], &[3; 1000]));
        let m = message(parse(&full[..full.len() / 2], None));
        assert!(m.contains("x.idx"), "{m}");
    }

    #[test]
    fn label_range() {
        assert!(check_labels("l", &[0, 9, 3], 10).is_ok());
        let e = check_labels("l", &[0, 11, 12], 10).unwrap_err().to_string();
        assert_eq!(
            e,
            "l: label 11 at index 1 is out of range 0..10 (1 more labels out of range)"
        );
    }
}
