//! `spikeflow download`: fetch a dataset's canonical files, check each against a pinned
//! SHA-256 checksum, and write it atomically.
//!
//! For every file `NAME` of the dataset, into `--to DIR`:
//!
//! * `DIR/NAME` already there with an accepted checksum: skipped (nothing is fetched).
//! * Otherwise the bytes go to `DIR/NAME.part`: a `.part` left by an interrupted run is
//!   resumed with an HTTP `Range` request (or a seek, for `file://`); a server that answers
//!   the whole file instead is fine (the `.part` is rewritten from the start).
//! * The `.part` is fsynced, hashed from disk and, only when its SHA-256 is one of the pinned
//!   ones, renamed to `DIR/NAME` (then the directory is fsynced). A resumed file that fails the
//!   check is fetched once more from scratch; a fresh one that fails is deleted and reported.
//!   So `DIR/NAME` is only ever a verified file, and a good one is never touched.
//! * A connection that breaks off keeps the `.part` for the next run to resume.
//!
//! Every failure is one line naming the file, the URL and the cause (HTTP status, checksum
//! mismatch with both hashes, I/O error with the path).

use anyhow::{anyhow, bail, Result};
use sha2::{Digest, Sha256};
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// The canonical MNIST files. The first checksum of each is the one of the original
/// distribution as served by the PyTorch/torchvision mirror (and every other faithful mirror);
/// the second is the one of the project's recompressed copies (`shared/data/mnist`,
/// `SHA256SUMS`), whose uncompressed contents are byte-identical to the originals, so that
/// `--base-url file://…/shared/data/mnist` works too.
const MNIST: &[(&str, &[&str])] = &[
    (
        "train-images-idx3-ubyte.gz",
        &[
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
        ],
    ),
    (
        "train-labels-idx1-ubyte.gz",
        &[
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
        ],
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        &[
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "1a1a05eab793c14bb050b398624a11b0ffd1a2953baed553b1b9bd079e2a20be",
        ],
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        &[
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            "b91679a0acfe4ba0e50a2437a903084cba1f5f92592b016a25a7dfd00455798b",
        ],
    ),
];

/// The canonical Fashion-MNIST files (Zalando Research), as served by its S3 mirror.
const FASHION_MNIST: &[(&str, &[&str])] = &[
    (
        "train-images-idx3-ubyte.gz",
        &["08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc"],
    ),
    (
        "train-labels-idx1-ubyte.gz",
        &["b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc"],
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        &["78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229"],
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        &["42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf"],
    ),
];

/// A dataset `spikeflow download` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Dataset {
    /// MNIST handwritten digits (LeCun, Cortes, Burges).
    Mnist,
    /// Fashion-MNIST (Zalando Research), the same format with clothing images.
    FashionMnist,
}

impl Dataset {
    fn id(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::FashionMnist => "fashion-mnist",
        }
    }

    /// The mirror fetched from when `--base-url` is not given: the ones torchvision uses.
    /// (Fashion-MNIST's is plain HTTP; the pinned SHA-256 is what guarantees the content.)
    fn default_base_url(self) -> &'static str {
        match self {
            Dataset::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist",
            Dataset::FashionMnist => "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com",
        }
    }

    fn pinned(self) -> Vec<FileSpec> {
        let table = match self {
            Dataset::Mnist => MNIST,
            Dataset::FashionMnist => FASHION_MNIST,
        };
        table
            .iter()
            .map(|(name, sums)| FileSpec {
                name: (*name).to_owned(),
                sha256: sums.iter().map(|s| (*s).to_owned()).collect(),
            })
            .collect()
    }
}

/// Download a dataset's files (default: from the mirror torchvision uses) and verify their
/// SHA-256 checksums. Interrupted downloads resume; files already present and verified are
/// skipped; a file that fails verification is never left under its final name.
#[derive(clap::Args)]
pub struct Args {
    /// The dataset.
    #[arg(value_enum)]
    dataset: Dataset,
    /// Directory to write the four .gz files into (created if missing).
    /// [default: data/mnist or data/fashion-mnist]
    #[arg(long, value_name = "DIR")]
    to: Option<PathBuf>,
    /// Fetch from this base URL instead of the default mirror: https://, http:// or
    /// file:// (each file's URL is BASE/NAME). The pinned checksums still apply.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// Seconds to wait for a connection, a response or the next bytes before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// Replace the pinned table by a `sha256sum`-style file (`HASH  NAME` lines): the files
    /// listed are the ones fetched, each accepted with any of its listed hashes.
    #[arg(long, value_name = "FILE", hide = true)]
    checksums: Option<PathBuf>,
}

/// One file to fetch and the SHA-256 checksums (lowercase hex) it is accepted with.
struct FileSpec {
    name: String,
    sha256: Vec<String>,
}

impl FileSpec {
    fn accepts(&self, hash: &str) -> bool {
        self.sha256.iter().any(|s| s == hash)
    }

    fn expected(&self) -> String {
        self.sha256.join(" or ")
    }
}

pub fn run(a: &Args) -> Result<ExitCode> {
    let files = match &a.checksums {
        Some(path) => read_checksums(path)?,
        None => a.dataset.pinned(),
    };
    let base = a
        .base_url
        .as_deref()
        .unwrap_or(a.dataset.default_base_url());
    if !["https://", "http://", "file://"]
        .iter()
        .any(|s| base.len() > s.len() && base[..s.len()].eq_ignore_ascii_case(s))
    {
        bail!("--base-url {base}: expected an https://, http:// or file:// URL");
    }
    let dir =
        a.to.clone()
            .unwrap_or_else(|| Path::new("data").join(a.dataset.id()));
    fs::create_dir_all(&dir).map_err(|e| anyhow!("creating {}: {e}", dir.display()))?;

    let fetcher = Fetcher::new(Duration::from_secs(a.timeout));
    let (mut fetched, mut present) = (0, 0);
    for spec in &files {
        let url = format!("{}/{}", base.trim_end_matches('/'), spec.name);
        match fetch_file(&fetcher, &url, &dir, spec)? {
            Outcome::Present => present += 1,
            Outcome::Fetched => fetched += 1,
        }
    }
    eprintln!(
        "{}: {} file(s) in {}, SHA-256 verified ({fetched} downloaded, {present} already present)",
        a.dataset.id(),
        files.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Parse a `sha256sum`-style table: `HASH  NAME` per line (`*NAME` accepted), `#` comments.
fn read_checksums(path: &Path) -> Result<Vec<FileSpec>> {
    let text =
        fs::read_to_string(path).map_err(|e| anyhow!("--checksums {}: {e}", path.display()))?;
    let mut files: Vec<FileSpec> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |what: &str| anyhow!("--checksums {} line {}: {what}", path.display(), i + 1);
        let (hash, name) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| bad("expected `SHA256  NAME`"))?;
        let name = name.trim().trim_start_matches('*');
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the checksum is not 64 hexadecimal digits"));
        }
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(bad("the file name must be a plain name"));
        }
        let hash = hash.to_ascii_lowercase();
        match files.iter_mut().find(|f| f.name == name) {
            Some(f) => f.sha256.push(hash),
            None => files.push(FileSpec {
                name: name.to_owned(),
                sha256: vec![hash],
            }),
        }
    }
    if files.is_empty() {
        bail!("--checksums {}: no `SHA256  NAME` lines", path.display());
    }
    Ok(files)
}

enum Outcome {
    Present,
    Fetched,
}

/// Bring `dir/NAME` to a verified state (see the module documentation).
fn fetch_file(fetcher: &Fetcher, url: &str, dir: &Path, spec: &FileSpec) -> Result<Outcome> {
    let name = spec.name.as_str();
    let dest = dir.join(name);
    if dest.is_file() {
        let hash = sha256_file(&dest)?;
        if spec.accepts(&hash) {
            eprintln!("{name}: already present, checksum ok");
            return Ok(Outcome::Present);
        }
        eprintln!(
            "{name}: the existing file has SHA-256 {hash}, expected {}; fetching it again \
             (it is replaced only by a verified download)",
            spec.expected()
        );
    }

    let part = dir.join(format!("{name}.part"));
    let mut from = match fs::metadata(&part) {
        Ok(m) if m.is_file() => m.len(),
        _ => 0,
    };
    loop {
        let start = download_into(fetcher, url, &part, from, name)?;
        let hash = sha256_file(&part)?;
        if spec.accepts(&hash) {
            fs::rename(&part, &dest)
                .map_err(|e| anyhow!("renaming {} to {}: {e}", part.display(), dest.display()))?;
            sync_dir(dir);
            eprintln!("{name}: downloaded, checksum ok");
            return Ok(Outcome::Fetched);
        }
        remove_part(&part)?;
        if start > 0 {
            eprintln!(
                "{name}: the resumed download fails verification (SHA-256 {hash}); \
                 fetching it again from the start"
            );
            from = 0;
            continue;
        }
        bail!(
            "{name} from {url}: checksum mismatch: expected SHA-256 {}, got {hash} \
             (the download was discarded)",
            spec.expected()
        );
    }
}

/// Fetch `url` into `part`, continuing at byte `from` if the source allows it; returns the
/// offset the received bytes started at (0: a whole fresh file). The `.part` is fsynced.
fn download_into(fetcher: &Fetcher, url: &str, part: &Path, from: u64, name: &str) -> Result<u64> {
    let fail = |what: String| anyhow!("{name} from {url}: {what}");
    let body = fetcher.open(url, from).map_err(fail)?;
    let (start, total, mut reader) = match body {
        Body::Complete => return Ok(from),
        Body::Stream {
            start,
            total,
            reader,
        } => (start, total, reader),
    };
    if from > 0 {
        if start == from {
            eprintln!("{name}: resuming {} at byte {from}", part.display());
        } else {
            eprintln!(
                "{name}: the server sent the whole file, not the rest: fetching it from the start"
            );
        }
    }
    let disk = |e: io::Error| anyhow!("{name}: writing {}: {e}", part.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(start == 0)
        .open(part)
        .map_err(disk)?;
    file.set_len(start).map_err(disk)?;
    file.seek(SeekFrom::Start(start)).map_err(disk)?;

    let progress = Progress::new(name, start, total);
    let mut buf = vec![0u8; 64 * 1024];
    let mut have = start;
    let broke_off = |have: u64, e: &dyn std::fmt::Display| {
        fail(format!(
            "the transfer broke off after {have}{} bytes: {e} ({} kept; run again to resume)",
            total.map(|t| format!(" of {t}")).unwrap_or_default(),
            part.display()
        ))
    };
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let _ = file.sync_all();
                return Err(broke_off(have, &e));
            }
        };
        file.write_all(&buf[..n]).map_err(disk)?;
        have += n as u64;
        progress.update(have);
    }
    progress.finish();
    file.sync_all().map_err(disk)?;
    if let Some(t) = total {
        if have != t {
            return Err(broke_off(have, &"the connection closed early"));
        }
    }
    Ok(start)
}

fn remove_part(part: &Path) -> Result<()> {
    match fs::remove_file(part) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow!("removing {}: {e}", part.display())),
    }
}

/// Make a rename durable: fsync the directory holding it (best effort; not all platforms
/// can open a directory).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn sha256_file(path: &Path) -> Result<String> {
    let read = |e: io::Error| anyhow!("reading {}: {e}", path.display());
    let mut file = File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read(e)),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a source answers to "the file from byte `from` on".
enum Body {
    /// Bytes from offset `start` (which is `from` when the range was honoured, else 0) to the
    /// end; `total` is the whole file's length when known.
    Stream {
        start: u64,
        total: Option<u64>,
        reader: Box<dyn Read>,
    },
    /// Nothing lies at or past `from` (HTTP 416): the partial file may already be whole.
    Complete,
}

/// Opens `https://`, `http://` and `file://` URLs.
struct Fetcher {
    agent: ureq::Agent,
}

impl Fetcher {
    fn new(timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .user_agent(concat!("spikeflow/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Fetcher { agent }
    }

    fn open(&self, url: &str, from: u64) -> Result<Body, String> {
        if url.len() > 7 && url[..7].eq_ignore_ascii_case("file://") {
            open_file_url(url, from)
        } else {
            self.open_http(url, from)
        }
    }

    fn open_http(&self, url: &str, from: u64) -> Result<Body, String> {
        let mut req = self.agent.get(url);
        if from > 0 {
            req = req.header("Range", &format!("bytes={from}-"));
        }
        let resp = req.call().map_err(|e| format!("request failed: {e}"))?;
        let status = resp.status();
        let header = |h: &str| {
            resp.headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
        match status.as_u16() {
            200 => Ok(Body::Stream {
                start: 0,
                total: length,
                reader: Box::new(resp.into_body().into_reader()),
            }),
            206 if from > 0 => {
                // `Content-Range: bytes START-END/TOTAL` (TOTAL may be `*`).
                let range = header("content-range").unwrap_or_default();
                let parsed = range
                    .trim()
                    .strip_prefix("bytes ")
                    .and_then(|r| r.split_once('-'))
                    .and_then(|(s, rest)| Some((s.trim().parse::<u64>().ok()?, rest)));
                match parsed {
                    Some((start, rest)) if start == from => {
                        let total = rest
                            .split_once('/')
                            .and_then(|(_, t)| t.trim().parse::<u64>().ok())
                            .or(length.map(|l| l + from));
                        Ok(Body::Stream {
                            start,
                            total,
                            reader: Box::new(resp.into_body().into_reader()),
                        })
                    }
                    // A range we did not ask for: start over without one.
                    _ => self.open_http(url, 0),
                }
            }
            416 if from > 0 => Ok(Body::Complete),
            _ => Err(format!(
                "HTTP status {} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned()),
        }
    }
}

fn open_file_url(url: &str, from: u64) -> Result<Body, String> {
    let rest = &url[7..];
    // file:///abs/path, or file://localhost/abs/path
    let rest = if rest.len() >= 9 && rest[..9].eq_ignore_ascii_case("localhost") {
        &rest[9..]
    } else {
        rest
    };
    if !rest.starts_with('/') {
        return Err("a file:// URL needs an absolute path (file:///dir/…)".into());
    }
    let path = PathBuf::from(percent_decode(rest)?);
    let mut file = File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file
        .metadata()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    if from > 0 && from == len {
        return Ok(Body::Complete);
    }
    let start = if from < len { from } else { 0 };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Body::Stream {
        start,
        total: Some(len),
        reader: Box::new(file),
    })
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent-escape in the URL path {s}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("the URL path {s} is not UTF-8"))
}

/// A byte counter on stderr, redrawn in place, only when stderr is a terminal.
struct Progress<'a> {
    name: &'a str,
    total: Option<u64>,
    tty: bool,
    last: std::cell::Cell<u64>,
}

impl<'a> Progress<'a> {
    fn new(name: &'a str, start: u64, total: Option<u64>) -> Self {
        Progress {
            name,
            total,
            tty: io::stderr().is_terminal(),
            last: std::cell::Cell::new(start),
        }
    }

    fn update(&self, have: u64) {
        if !self.tty || have - self.last.get() < 256 * 1024 {
            return;
        }
        self.last.set(have);
        let mb = |b: u64| b as f64 / 1e6;
        match self.total {
            Some(t) if t > 0 => eprint!(
                "\r{}: {:.1} / {:.1} MB ({:.0}%)",
                self.name,
                mb(have),
                mb(t),
                100.0 * have as f64 / t as f64
            ),
            _ => eprint!("\r{}: {:.1} MB", self.name, mb(have)),
        }
        let _ = io::stderr().flush();
    }

    fn finish(&self) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b/c").unwrap(), "/a b/c");
        assert!(percent_decode("/a%2").is_err());
    }

    #[test]
    fn pinned_tables_are_well_formed() {
        for d in [Dataset::Mnist, Dataset::FashionMnist] {
            let files = d.pinned();
            assert_eq!(files.len(), 4);
            for f in files {
                for h in &f.sha256 {
                    assert_eq!(h.len(), 64);
                    assert!(h
                        .bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
                }
            }
        }
    }
}
