//! The README's Redis example is `examples/readme.rs`, line for line, and it runs.

#[macro_use]
mod common;

#[path = "../examples/readme.rs"]
#[allow(dead_code)]
mod example;

use std::path::Path;

/// The lines between two markers, without their common indentation.
fn block<'a>(text: &'a str, begin: &str, end: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.trim() == begin)
        .unwrap_or_else(|| panic!("no line {begin:?}"));
    let last = first
        + lines[first..]
            .iter()
            .position(|l| l.trim() == end)
            .unwrap_or_else(|| panic!("no line {end:?} after {begin:?}"));
    let body = &lines[first + 1..last];
    let indent = body
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    body.iter().map(|l| l.get(indent..).unwrap_or("")).collect()
}

#[test]
fn the_readme_shows_the_example_program_line_for_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let section = readme
        .split("## Sharing limits through Redis")
        .nth(1)
        .expect("the README has a section on Redis");
    let shown = block(section, "```rust,ignore", "```");
    let program =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/readme.rs"))
            .expect("examples/readme.rs");
    let run = block(&program, "// README begin", "// README end");
    assert_eq!(shown, run, "README.md and examples/readme.rs differ");
}

#[test]
fn the_readme_example_runs_against_a_real_server() {
    let url = server_or_skip!();
    let mut con = common::connection(&url);
    let keys = [
        "api:{user-42}:free",
        "api:{user-42}:plan",
        "api:{user-42}:analysis",
    ];
    let () = redis::cmd("DEL").arg(&keys).query(&mut con).expect("DEL");
    example::run(&url).expect("the example runs");
    let () = redis::cmd("DEL").arg(&keys).query(&mut con).expect("DEL");
}
