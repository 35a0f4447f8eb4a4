//! Checkpoints of `spikeflow train`: a folder with the arrays in the
//! safetensors format (`state.safetensors`) and a versioned JSON file
//! (`checkpoint.json`) with everything else, written atomically.
//!
//! Layout of a run folder (`--out`):
//!
//! ```text
//! checkpoints/ckpt-000000020/{state.safetensors, checkpoint.json}
//! checkpoints/ckpt-000000040/…
//! checkpoints/LATEST            name of the newest complete checkpoint
//! model/{state.safetensors, checkpoint.json}   the finished model (eval)
//! ```
//!
//! A checkpoint folder is first written as `.tmp-…`, every file is fsynced,
//! then the folder is renamed to its final, never reused name and the folder
//! fsynced; only then is `LATEST` replaced (temp file, fsync, rename). A
//! crash at any point leaves the previous checkpoint intact and `LATEST`
//! naming a complete one; the `.tmp-…` entries a killed writer leaves are
//! removed by the next write of the same name (and by the training loop),
//! and a write that fails removes its own. The JSON records the byte
//! length and CRC-32 of the arrays file, so a truncated or altered file is
//! refused on load.
//!
//! The safetensors format: an 8-byte little-endian header length, a JSON
//! header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__":
//! {…}}`, then the raw little-endian data. Written and validated here (no
//! dependency): every offset, shape and dtype is checked against the file.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `format` field of `checkpoint.json`.
pub const FORMAT: &str = "spikeflow-train-checkpoint";
/// Current format version; a different one is refused.
pub const VERSION: u64 = 1;
/// Arrays file name.
pub const ARRAYS: &str = "state.safetensors";
/// Metadata file name.
pub const META: &str = "checkpoint.json";
/// CRC-32 of the metadata file's bytes (8 hex digits), written next to it:
/// without it a flipped digit in `checkpoint.json` (a step, a seed, a
/// setting) would load as a different, wrong checkpoint. Checkpoints written
/// before it existed have none and are read unchecked.
pub const META_CRC: &str = "checkpoint.json.crc32";

/// One named array.
#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    /// `F32` values.
    F32(Vec<usize>, Vec<f32>),
    /// `F64` values.
    F64(Vec<usize>, Vec<f64>),
    /// `U8` values.
    U8(Vec<usize>, Vec<u8>),
}

impl Array {
    fn dtype(&self) -> &'static str {
        match self {
            Array::F32(..) => "F32",
            Array::F64(..) => "F64",
            Array::U8(..) => "U8",
        }
    }
    fn shape(&self) -> &[usize] {
        match self {
            Array::F32(s, _) | Array::F64(s, _) | Array::U8(s, _) => s,
        }
    }
    fn bytes(&self) -> Vec<u8> {
        match self {
            Array::F32(_, v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Array::F64(_, v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Array::U8(_, v) => v.clone(),
        }
    }
    /// A 1-D `F32` array.
    pub fn f32(v: Vec<f32>) -> Array {
        Array::F32(vec![v.len()], v)
    }
}

/// Named arrays in file order.
pub type Arrays = Vec<(String, Array)>;

/// Encodes arrays as a safetensors file.
pub fn encode_safetensors(arrays: &Arrays) -> Result<Vec<u8>> {
    let mut header = Map::new();
    let mut offset = 0usize;
    let mut data = Vec::new();
    for (name, a) in arrays {
        if header.contains_key(name) || name == "__metadata__" {
            bail!("duplicate or reserved array name {name:?}");
        }
        let bytes = a.bytes();
        header.insert(
            name.clone(),
            json!({"dtype": a.dtype(), "shape": a.shape(), "data_offsets": [offset, offset + bytes.len()]}),
        );
        offset += bytes.len();
        data.extend_from_slice(&bytes);
    }
    header.insert(
        "__metadata__".into(),
        json!({"format": "spikeflow", "order": arrays.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("\n")}),
    );
    let mut h = serde_json::to_vec(&Value::Object(header))?;
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + h.len() + data.len());
    out.extend_from_slice(&(h.len() as u64).to_le_bytes());
    out.extend_from_slice(&h);
    out.extend_from_slice(&data);
    Ok(out)
}

/// Decodes a safetensors file (arrays in data order), validating everything.
pub fn decode_safetensors(bytes: &[u8]) -> Result<Arrays> {
    if bytes.len() < 8 {
        bail!("{} bytes, too short for a safetensors header", bytes.len());
    }
    let hlen = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
    let rest = (bytes.len() - 8) as u64;
    if hlen > rest || hlen > 100_000_000 {
        bail!("header length {hlen} exceeds the file ({rest} bytes after the length)");
    }
    let hlen = hlen as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + hlen])
        .context("the safetensors header is not valid JSON")?;
    let Value::Object(map) = header else {
        bail!("the safetensors header is not a JSON object");
    };
    let data = &bytes[8 + hlen..];
    let mut entries = Vec::new();
    for (name, spec) in &map {
        if name == "__metadata__" {
            continue;
        }
        let dtype = spec["dtype"]
            .as_str()
            .with_context(|| format!("array {name:?} has no dtype"))?;
        let shape: Vec<usize> = spec["shape"]
            .as_array()
            .with_context(|| format!("array {name:?} has no shape"))?
            .iter()
            .map(|d| d.as_u64().map(|d| d as usize))
            .collect::<Option<_>>()
            .with_context(|| format!("array {name:?} has a bad shape"))?;
        let off = spec["data_offsets"]
            .as_array()
            .filter(|o| o.len() == 2)
            .and_then(|o| Some((o[0].as_u64()? as usize, o[1].as_u64()? as usize)))
            .with_context(|| format!("array {name:?} has bad data_offsets"))?;
        let width = match dtype {
            "F32" => 4,
            "F64" => 8,
            "U8" => 1,
            other => bail!("array {name:?} has unsupported dtype {other}"),
        };
        let count = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .with_context(|| format!("array {name:?}: shape overflows"))?;
        if off.0 > off.1 || off.1 > data.len() {
            bail!(
                "array {name:?} spans bytes {}..{} but the data has {} bytes (truncated file?)",
                off.0,
                off.1,
                data.len()
            );
        }
        if count.checked_mul(width) != Some(off.1 - off.0) {
            bail!(
                "array {name:?}: shape {shape:?} of {dtype} does not fit {} bytes",
                off.1 - off.0
            );
        }
        let raw = &data[off.0..off.1];
        let a = match dtype {
            "F32" => Array::F32(
                shape,
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                    .collect(),
            ),
            "F64" => Array::F64(
                shape,
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8")))
                    .collect(),
            ),
            _ => Array::U8(shape, raw.to_vec()),
        };
        entries.push((off, name.clone(), a));
    }
    entries.sort_by_key(|(o, _, _)| *o);
    // Empty arrays share an offset: the writer's order (metadata) decides.
    if let Some(order) = map
        .get("__metadata__")
        .and_then(|m| m.get("order"))
        .and_then(Value::as_str)
    {
        let names: Vec<&str> = if order.is_empty() {
            Vec::new()
        } else {
            order.split('\n').collect()
        };
        if names.len() != entries.len() {
            bail!(
                "the metadata order lists {} arrays, the header {}",
                names.len(),
                entries.len()
            );
        }
        let mut sorted = Vec::with_capacity(entries.len());
        for nm in names {
            let k = entries
                .iter()
                .position(|(_, n, _)| n == nm)
                .with_context(|| format!("the metadata order names a missing array {nm:?}"))?;
            sorted.push(entries.swap_remove(k));
        }
        entries = sorted;
    }
    // The arrays must tile the data exactly (no overlap, no gap, no tail).
    let mut pos = 0;
    for (o, name, _) in &entries {
        if o.0 != pos {
            bail!("array {name:?} starts at byte {} instead of {pos}", o.0);
        }
        pos = o.1;
    }
    if pos != data.len() {
        bail!("{} bytes after the last array (expected {pos})", data.len());
    }
    Ok(entries.into_iter().map(|(_, n, a)| (n, a)).collect())
}

/// CRC-32 of a byte string.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(bytes);
    c.sum()
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn sync_dir(dir: &Path) {
    // Not every platform can open a folder for fsync; best effort.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes a checkpoint folder at `dest` atomically: a temporary sibling
/// folder is filled and fsynced, then renamed. `dest` must not exist (names
/// are never reused, so a good checkpoint is never overwritten).
pub fn write_checkpoint(dest: &Path, meta: &Value, arrays: &Arrays) -> Result<()> {
    let parent = dest
        .parent()
        .context("checkpoint path has no parent folder")?;
    fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    if dest.exists() {
        bail!("{} exists already; not overwriting it", dest.display());
    }
    let name = dest
        .file_name()
        .context("checkpoint path has no name")?
        .to_string_lossy();
    remove_stale_temps(parent, &format!(".tmp-{name}-"))?;
    let tmp = parent.join(format!(".tmp-{name}-{}", std::process::id()));
    fs::create_dir(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
    let filled = fill_checkpoint(&tmp, meta, arrays).and_then(|()| {
        fs::rename(&tmp, dest)
            .with_context(|| format!("cannot rename {} to {}", tmp.display(), dest.display()))
    });
    if filled.is_err() {
        // A full disk gets its space back; the error is what matters.
        let _ = fs::remove_dir_all(&tmp);
    }
    filled.with_context(|| format!("cannot write the checkpoint {}", dest.display()))?;
    sync_dir(parent);
    Ok(())
}

/// Writes and fsyncs the files of a checkpoint into the folder `tmp`.
fn fill_checkpoint(tmp: &Path, meta: &Value, arrays: &Arrays) -> Result<()> {
    let bytes = encode_safetensors(arrays)?;
    let mut meta = meta.clone();
    meta["arrays"] = json!({"file": ARRAYS, "bytes": bytes.len(), "crc32": crc32(&bytes)});
    write_synced(&tmp.join(ARRAYS), &bytes)?;
    let meta_text = serde_json::to_string_pretty(&meta)?;
    write_synced(&tmp.join(META), meta_text.as_bytes())?;
    write_synced(
        &tmp.join(META_CRC),
        format!("{:08x}\n", crc32(meta_text.as_bytes())).as_bytes(),
    )?;
    sync_dir(tmp);
    Ok(())
}

/// Removes the entries of `dir` whose names start with `prefix` (always
/// `.tmp-…`): temporary files and folders of writers killed before their
/// rename. A run folder has one writer, so any such entry is stale. Returns
/// how many were removed.
pub fn remove_stale_temps(dir: &Path, prefix: &str) -> Result<usize> {
    debug_assert!(prefix.starts_with(".tmp-"));
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for e in entries.filter_map(|e| e.ok()) {
        if !e.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let p = e.path();
        let r = if e.file_type().is_ok_and(|t| t.is_dir()) {
            fs::remove_dir_all(&p)
        } else {
            fs::remove_file(&p)
        };
        r.with_context(|| format!("cannot remove the stale temporary {}", p.display()))?;
        removed += 1;
    }
    Ok(removed)
}

/// Replaces the small text file `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let parent = path.parent().context("path has no parent folder")?;
    let file = path.file_name().context("no file name")?.to_string_lossy();
    remove_stale_temps(parent, &format!(".tmp-{file}-"))?;
    let tmp = parent.join(format!(".tmp-{file}-{}", std::process::id()));
    let written = write_synced(&tmp, bytes).and_then(|()| {
        fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
    });
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))?;
    sync_dir(parent);
    Ok(())
}

/// A checkpoint read back: its JSON and arrays.
pub struct Loaded {
    /// Folder it came from.
    pub dir: PathBuf,
    /// `checkpoint.json`.
    pub meta: Value,
    /// The arrays, in file order.
    pub arrays: Arrays,
}

impl Loaded {
    /// An array by name.
    pub fn get(&self, name: &str) -> Result<&Array> {
        self.arrays
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, a)| a)
            .with_context(|| format!("checkpoint {} has no array {name:?}", self.dir.display()))
    }
    /// An `F32` array's values.
    pub fn f32(&self, name: &str) -> Result<&[f32]> {
        match self.get(name)? {
            Array::F32(_, v) => Ok(v),
            _ => bail!("array {name:?} of {} is not F32", self.dir.display()),
        }
    }
    /// A `U8` array's values.
    pub fn u8(&self, name: &str) -> Result<&[u8]> {
        match self.get(name)? {
            Array::U8(_, v) => Ok(v),
            _ => bail!("array {name:?} of {} is not U8", self.dir.display()),
        }
    }
    /// An `F64` array's values.
    pub fn f64(&self, name: &str) -> Result<&[f64]> {
        match self.get(name)? {
            Array::F64(_, v) => Ok(v),
            _ => bail!("array {name:?} of {} is not F64", self.dir.display()),
        }
    }
}

/// Finds the checkpoint that `dir` means: a checkpoint folder itself, a run
/// folder's finished `model/` (if `prefer_model`) or its latest checkpoint.
pub fn locate(dir: &Path, prefer_model: bool) -> Result<PathBuf> {
    if !dir.is_dir() {
        bail!("{} is not a folder", dir.display());
    }
    if dir.join(META).is_file() {
        return Ok(dir.to_path_buf());
    }
    let model = dir.join("model");
    if prefer_model && model.join(META).is_file() {
        return Ok(model);
    }
    let latest = dir.join("checkpoints").join("LATEST");
    if latest.is_file() {
        let name = fs::read_to_string(&latest)
            .with_context(|| format!("cannot read {}", latest.display()))?;
        let ck = dir.join("checkpoints").join(name.trim());
        if !ck.join(META).is_file() {
            bail!(
                "{} names {}, which holds no {META}",
                latest.display(),
                ck.display()
            );
        }
        return Ok(ck);
    }
    if !prefer_model && model.join(META).is_file() {
        return Ok(model);
    }
    bail!(
        "{} holds no checkpoint ({META}, checkpoints/LATEST or model/)",
        dir.display()
    )
}

/// Reads and validates a checkpoint folder (format, version, arrays file
/// length and CRC, safetensors structure).
pub fn read_checkpoint(dir: &Path) -> Result<Loaded> {
    let meta = read_meta(dir)?;
    let ap = dir.join(ARRAYS);
    let bytes = fs::read(&ap).with_context(|| format!("cannot read {}", ap.display()))?;
    let want_len = meta["arrays"]["bytes"].as_u64();
    if want_len != Some(bytes.len() as u64) {
        bail!(
            "{} has {} bytes, its checkpoint.json records {} (truncated or replaced file)",
            ap.display(),
            bytes.len(),
            meta["arrays"]["bytes"]
        );
    }
    if meta["arrays"]["crc32"].as_u64() != Some(u64::from(crc32(&bytes))) {
        bail!("{} fails its CRC-32 check (corrupt file)", ap.display());
    }
    let arrays =
        decode_safetensors(&bytes).with_context(|| format!("{} is corrupt", ap.display()))?;
    Ok(Loaded {
        dir: dir.to_path_buf(),
        meta,
        arrays,
    })
}

/// The training images seen by a checkpoint written at an epoch's end
/// (its metadata `meta`), `None` for one written inside an epoch.
pub fn epoch_end_samples(meta: &Value) -> Option<u64> {
    let pos = &meta["position"];
    let end = pos["index_in_epoch"].as_u64() == Some(0) && pos["epoch"].as_u64()? > 0;
    end.then(|| pos["samples"].as_u64().unwrap_or(0))
}

/// Reads and validates a checkpoint folder's metadata alone (its CRC,
/// format and version), without its arrays.
pub fn read_meta(dir: &Path) -> Result<Value> {
    let mp = dir.join(META);
    let raw = fs::read(&mp).with_context(|| format!("cannot read {}", mp.display()))?;
    let cp = dir.join(META_CRC);
    if cp.exists() {
        let want =
            fs::read_to_string(&cp).with_context(|| format!("cannot read {}", cp.display()))?;
        let want = u32::from_str_radix(want.trim(), 16)
            .with_context(|| format!("{} is corrupt: not 8 hex digits", cp.display()))?;
        if crc32(&raw) != want {
            bail!(
                "{} fails its CRC-32 check against {} (corrupt or edited file)",
                mp.display(),
                cp.display()
            );
        }
    }
    let text =
        String::from_utf8(raw).with_context(|| format!("{} is not UTF-8 text", mp.display()))?;
    let meta: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", mp.display()))?;
    if meta["format"].as_str() != Some(FORMAT) {
        bail!(
            "{} is not a spikeflow training checkpoint (format {})",
            mp.display(),
            meta["format"]
        );
    }
    if meta["version"].as_u64() != Some(VERSION) {
        bail!(
            "{} has format version {}, this spikeflow reads version {VERSION}",
            mp.display(),
            meta["version"]
        );
    }
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safetensors_round_trip_and_truncation() {
        let arrays: Arrays = vec![
            (
                "b".into(),
                Array::F32(vec![2, 2], vec![1.0, -2.5, 3.0, f32::MIN_POSITIVE]),
            ),
            ("a".into(), Array::U8(vec![3], vec![1, 2, 3])),
            ("z".into(), Array::f32(vec![])),
            ("y".into(), Array::f32(vec![])),
            ("c".into(), Array::F64(vec![1], vec![0.1])),
        ];
        let bytes = encode_safetensors(&arrays).unwrap();
        assert_eq!(decode_safetensors(&bytes).unwrap(), arrays);
        for cut in [0, 7, 9, bytes.len() - 1] {
            assert!(decode_safetensors(&bytes[..cut]).is_err(), "cut {cut}");
        }
    }

    #[test]
    fn checkpoint_is_atomic_and_never_overwritten() {
        let dir = std::env::temp_dir().join(format!("sf-ck-{}", std::process::id()));
        fs::remove_dir_all(&dir).ok();
        let dest = dir.join("ckpt-1");
        let meta = json!({"format": FORMAT, "version": VERSION});
        let arrays: Arrays = vec![("w".into(), Array::f32(vec![1.0, 2.0]))];
        write_checkpoint(&dest, &meta, &arrays).unwrap();
        assert!(write_checkpoint(&dest, &meta, &arrays).is_err());
        let l = read_checkpoint(&dest).unwrap();
        assert_eq!(l.f32("w").unwrap(), &[1.0, 2.0]);
        // Truncate the arrays: refused.
        let ap = dest.join(ARRAYS);
        let b = fs::read(&ap).unwrap();
        fs::write(&ap, &b[..b.len() - 3]).unwrap();
        assert!(read_checkpoint(&dest).is_err());
        fs::write(&ap, &b).unwrap();
        // A flipped digit in checkpoint.json: refused by its CRC, naming it.
        let mp = dest.join(META);
        let t = fs::read_to_string(&mp).unwrap();
        fs::write(&mp, t.replace("\"version\": 1", "\"version\": 1 ")).unwrap();
        let e = format!(
            "{:#}",
            read_checkpoint(&dest).err().expect("edited meta accepted")
        );
        assert!(e.contains(META) && e.contains("CRC-32"), "{e}");
        // Older checkpoints without the CRC file are still read.
        fs::write(&mp, &t).unwrap();
        fs::remove_file(dest.join(META_CRC)).unwrap();
        assert!(read_checkpoint(&dest).is_ok());
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn temporaries_of_killed_writers_are_removed() {
        let dir = std::env::temp_dir().join(format!("sf-tmp-{}", std::process::id()));
        fs::remove_dir_all(&dir).ok();
        // What writers killed before their rename leave (other process ids).
        let stale_ck = dir.join(".tmp-ckpt-2-4000001");
        fs::create_dir_all(&stale_ck).unwrap();
        fs::write(stale_ck.join(ARRAYS), b"half").unwrap();
        fs::write(dir.join(".tmp-LATEST-4000002"), b"ckpt-").unwrap();
        let other = dir.join(".tmp-ckpt-3-4000003");
        fs::create_dir_all(&other).unwrap();
        let meta = json!({"format": FORMAT, "version": VERSION});
        let arrays: Arrays = vec![("w".into(), Array::f32(vec![1.0]))];
        write_checkpoint(&dir.join("ckpt-2"), &meta, &arrays).unwrap();
        write_atomic(&dir.join("LATEST"), b"ckpt-2\n").unwrap();
        assert!(!stale_ck.exists() && !dir.join(".tmp-LATEST-4000002").exists());
        // Each writer clears its own name; the training loop clears the rest.
        assert!(other.exists());
        assert_eq!(remove_stale_temps(&dir, ".tmp-ckpt-").unwrap(), 1);
        let mut names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["LATEST", "ckpt-2"]);
        fs::remove_dir_all(&dir).ok();
    }
}
