//! Replays the committed fuzz corpora and crash reproducers on stable Rust.
//!
//! The fuzz targets' bodies live in `fuzz/src` (their own cargo-fuzz workspace, built with
//! nightly); this test compiles the same files as a module and runs every file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` through the body of `<target>`. A
//! finding fixed once therefore stays fixed in `cargo test`, without a fuzzer. Under Miri
//! (`make miri`) it replays a sample of the C ABI target's inputs, to check the binding's
//! `unsafe` code.

use std::path::{Path, PathBuf};

#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod bodies;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir/<target>/`, sorted; none when the directory does not exist.
fn inputs(dir: &Path, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir.join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The subdirectories of `dir`, by name.
fn subdirectories(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("a readable directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

/// Under Miri (`make miri`), only the targets that reach `unsafe` code: the C ABI's, with
/// every reproducer but only one corpus file in [`MIRI_STRIDE`] (Miri interprets each call).
const MIRI_TARGETS: &[&str] = &["c_abi"];
const MIRI_STRIDE: usize = 8;

#[test]
fn every_corpus_and_reproducer_passes_its_target() {
    let fuzz = fuzz_dir();
    let mut replayed = 0;
    for &(target, run) in bodies::TARGETS {
        if cfg!(miri) && !MIRI_TARGETS.contains(&target) {
            continue;
        }
        let corpus = inputs(&fuzz.join("corpus"), target);
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target}/ is empty or missing"
        );
        let stride = if cfg!(miri) { MIRI_STRIDE } else { 1 };
        for path in corpus
            .iter()
            .step_by(stride)
            .chain(&inputs(&fuzz.join("regressions"), target))
        {
            let data = std::fs::read(path).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target} fails on {}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= if cfg!(miri) { 1 } else { bodies::TARGETS.len() });
}

#[test]
fn every_corpus_directory_belongs_to_a_target() {
    let fuzz = fuzz_dir();
    for folder in ["corpus", "regressions"] {
        for name in subdirectories(&fuzz.join(folder)) {
            assert!(
                bodies::TARGETS.iter().any(|&(t, _)| t == name),
                "fuzz/{folder}/{name}/ has no target of that name"
            );
        }
    }
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    let fuzz = fuzz_dir();
    for &(target, _) in bodies::TARGETS {
        let file = fuzz.join("fuzz_targets").join(format!("{target}.rs"));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("ratecell_fuzz::{target}::run")),
            "{} does not run its body",
            file.display()
        );
    }
}
