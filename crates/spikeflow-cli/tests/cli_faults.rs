//! `spikeflow train` when its output cannot be written: a full disk (the
//! kernel's per-process file-size limit, `ulimit -f`, which fails writes
//! with EFBIG like a full disk fails them with ENOSPC), a read-only output
//! folder, a picture or the summary that cannot be created. Each is a
//! one-line error, the previous checkpoint stays intact and named by
//! `LATEST`, and once the fault is gone the run resumes to the model of an
//! uninterrupted run, bit for bit. Also: what a run killed mid-write leaves
//! behind is cleared, and a run stopped between its model and its summary
//! resumes.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;

use support::{scratch, BIN, TINY};

const CK40: &str = "ckpt-000000040";

fn check_ok(o: Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A failure with a single `error: …` line (no panic, no backtrace).
fn one_line_error(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "succeeded despite the fault:\n{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "not one error line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    // The resume's own notes ("resuming …", "resumed from …") may precede it.
    assert!(
        err.lines().last().is_some_and(|l| l.starts_with("error: ")),
        "{err}"
    );
    err
}

fn resume(d: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(["train", "--resume", d.to_str().unwrap(), "--quiet"]);
    c
}

/// `c` run by `sh` under a file-size limit of `blocks` (512 or 1024 bytes
/// each, depending on the shell) with SIGXFSZ ignored: writes past the
/// limit fail with EFBIG.
fn with_file_size_limit(c: &Command, blocks: u64) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!(
            "ulimit -f {blocks} && trap '' XFSZ && exec \"$0\" \"$@\""
        ))
        .arg(c.get_program())
        .args(c.get_args());
    sh.output().expect("spawn sh")
}

/// A finished tiny run in `d`; returns its model's bytes.
fn finished_run(d: &Path) -> Vec<u8> {
    let mut args = TINY.to_vec();
    args.extend(["--out", d.to_str().unwrap()]);
    check_ok(
        Command::new(BIN).args(&args).output().unwrap(),
        "the tiny run",
    );
    fs::read(d.join("model/state.safetensors")).unwrap()
}

/// Turns the finished run in `d` into one stopped after its checkpoint at
/// image 40 (as a kill would leave it). Returns that checkpoint's files.
fn stop_at_40(d: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    for p in ["model", "checkpoints/ckpt-000000060"] {
        fs::remove_dir_all(d.join(p)).unwrap();
    }
    fs::remove_file(d.join("summary.json")).unwrap();
    fs::write(d.join("checkpoints/LATEST"), format!("{CK40}\n")).unwrap();
    snapshot_of(&d.join("checkpoints").join(CK40))
}

fn snapshot_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

/// `LATEST` still names ckpt-40, whose files are unchanged, and nothing
/// else (no half-written checkpoint, no temporary) is in `checkpoints/`.
fn still_at_40(d: &Path, files: &[(PathBuf, Vec<u8>)]) {
    let ck = d.join("checkpoints");
    assert_eq!(fs::read_to_string(ck.join("LATEST")).unwrap().trim(), CK40);
    assert_eq!(snapshot_of(&ck.join(CK40)), files, "ckpt-40 changed");
    let mut names: Vec<String> = fs::read_dir(&ck)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["LATEST", CK40]);
}

/// Resumes `d` with nothing in the way: the uninterrupted run's model.
fn resumes_to(d: &Path, model: &[u8]) {
    check_ok(resume(d).output().unwrap(), "the resume after the fault");
    assert!(
        fs::read(d.join("model/state.safetensors")).unwrap() == model,
        "the resumed model differs from the uninterrupted one"
    );
    assert!(d.join("summary.json").is_file());
    no_temporaries(d);
}

/// No `.tmp-…` entry in the run folder or its `checkpoints/`.
fn no_temporaries(d: &Path) {
    let left: Vec<_> = fs::read_dir(d.join("checkpoints"))
        .unwrap()
        .chain(fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(left.is_empty(), "temporaries left: {left:?}");
}

#[test]
fn a_full_disk_during_a_checkpoint_keeps_the_previous_one() {
    let d = scratch("full-ckpt");
    let model = finished_run(&d);
    let files = stop_at_40(&d);
    // The checkpoint's arrays (≈ 30 KB) do not fit; with 0 not even a byte.
    for blocks in [0, 1, 20] {
        let o = with_file_size_limit(&resume(&d), blocks);
        let e = one_line_error(&o);
        assert!(
            e.contains("ckpt-000000060") && e.contains("File too large"),
            "{blocks} blocks: {e}"
        );
        still_at_40(&d, &files);
    }
    resumes_to(&d, &model);
    let _ = fs::remove_dir_all(&d);
}

#[test]
fn a_full_disk_or_a_blocked_file_during_pictures_and_summary_is_resumable() {
    let d = scratch("full-pictures");
    let model = finished_run(&d);
    let files = stop_at_40(&d);
    // Room for the checkpoints and the model (≈ 45 KB), not for the
    // receptive fields (≈ 200 KB).
    let o = with_file_size_limit(&resume(&d), 100);
    let e = one_line_error(&o);
    assert!(
        e.contains("receptive_fields.png") && e.contains("File too large"),
        "{e}"
    );
    assert!(d.join("model/state.safetensors").is_file());
    assert!(!d.join("summary.json").exists());
    // Stopped between its model and its summary: not finished, resumable.
    resumes_to(&d, &model);

    // Each picture, then the summary, made impossible to create (a folder
    // in its place).
    for f in [
        "accuracy.png",
        "raster.png",
        "confusion_test.png",
        "summary.json",
    ] {
        let _ = stop_at_40(&d);
        let _ = fs::remove_file(d.join(f));
        fs::create_dir(d.join(f)).unwrap();
        let e = one_line_error(&resume(&d).output().unwrap());
        assert!(e.contains(f), "{f}: {e}");
        assert!(!d.join("summary.json").is_file());
        // Training got past its last checkpoint, at its end, which LATEST
        // names.
        assert_eq!(
            fs::read_to_string(d.join("checkpoints/LATEST"))
                .unwrap()
                .trim(),
            "ckpt-000000060"
        );
        assert_eq!(snapshot_of(&d.join("checkpoints").join(CK40)), files);
        no_temporaries(&d);
        fs::remove_dir(d.join(f)).unwrap();
        resumes_to(&d, &model);
    }
    let _ = fs::remove_dir_all(&d);
}

/// Runs `c` with the folder `d` read-only: by its permissions where they
/// bind (not root), else in a private mount namespace where `d` is a
/// read-only bind mount. `None` where neither can be arranged.
fn read_only(d: &Path, c: &Command) -> Option<Output> {
    let mode = |m: u32| fs::set_permissions(d, fs::Permissions::from_mode(m)).unwrap();
    mode(0o555);
    let probe = d.join(".probe");
    let binds = fs::write(&probe, b"").is_err();
    let _ = fs::remove_file(&probe);
    if binds {
        let o = Command::new(c.get_program())
            .args(c.get_args())
            .output()
            .unwrap();
        mode(0o755);
        return Some(o);
    }
    mode(0o755);
    let script = "mount --bind \"$0\" \"$0\" && mount -o remount,bind,ro \"$0\" \
                  && touch \"$0/.probe\" 2>/dev/null && exit 99; exec \"$@\"";
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", script])
        .arg(d)
        .arg(c.get_program())
        .args(c.get_args())
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(99) || err.contains("unshare:") || err.contains("mount:") {
        let _ = fs::remove_file(&probe);
        return None;
    }
    Some(o)
}

#[test]
fn a_read_only_output_folder_is_a_clear_error_and_keeps_the_checkpoint() {
    let d = scratch("read-only");
    let model = finished_run(&d);
    let files = stop_at_40(&d);
    let Some(o) = read_only(&d, &resume(&d)) else {
        eprintln!("skipped: cannot make a folder read-only here (root without mount rights)");
        let _ = fs::remove_dir_all(&d);
        return;
    };
    let e = one_line_error(&o);
    assert!(
        e.contains("ckpt-000000060")
            && (e.contains("Read-only file system") || e.contains("Permission denied")),
        "{e}"
    );
    still_at_40(&d, &files);
    resumes_to(&d, &model);

    // A fresh run into a read-only folder.
    let e2 = scratch("read-only-fresh");
    fs::create_dir_all(&e2).unwrap();
    let mut args = TINY.to_vec();
    args.extend(["--out", e2.to_str().unwrap()]);
    let mut c = Command::new(BIN);
    c.args(&args);
    let o = read_only(&e2, &c).expect("read-only worked above");
    let err = one_line_error(&o);
    assert!(err.contains(e2.to_str().unwrap()), "{err}");
    let _ = fs::remove_dir_all(&d);
    let _ = fs::remove_dir_all(&e2);
}

#[test]
fn what_a_killed_writer_leaves_is_cleared_on_resume() {
    let d = scratch("stale");
    let model = finished_run(&d);
    let _ = stop_at_40(&d);
    let ck = d.join("checkpoints");
    // A checkpoint folder and a LATEST half-written by killed processes, a
    // model folder written but not yet renamed, and a checkpoint renamed
    // into place but not yet named by LATEST.
    fs::create_dir_all(ck.join(".tmp-ckpt-000000007-4000001")).unwrap();
    fs::write(
        ck.join(".tmp-ckpt-000000007-4000001/state.safetensors"),
        b"x",
    )
    .unwrap();
    fs::write(ck.join(".tmp-LATEST-4000002"), b"ckpt-0").unwrap();
    fs::create_dir_all(d.join(".tmp-model-4000003")).unwrap();
    fs::create_dir_all(ck.join("ckpt-000000060")).unwrap();
    fs::write(ck.join("ckpt-000000060/checkpoint.json"), b"{").unwrap();
    resumes_to(&d, &model);
    let _ = fs::remove_dir_all(&d);
}
