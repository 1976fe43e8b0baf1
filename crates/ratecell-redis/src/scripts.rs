//! The Lua scripts, embedded from `redis/scripts/*.lua` at the repository root, the files every
//! language embeds.
//!
//! A script is the concatenation of its files, each followed by a newline, in the order of
//! `redis/scripts/manifest` (the `lib.lua` prelude first, after `fast.lua` where a script has
//! fast paths, and `main.lua` last). [`Script::source`]
//! is that text and [`Script::sha1`] its SHA1, the name Redis knows it by.

use std::sync::OnceLock;

/// Fast paths for the most common calls, decided before the prelude is defined.
pub const FAST: &str = include_str!("../../../redis/scripts/fast.lua");
/// The prelude: exact arithmetic, ticks, the clock, arguments, replies, expiry, dispatch.
pub const LIB: &str = include_str!("../../../redis/scripts/lib.lua");
/// GCRA.
pub const GCRA: &str = include_str!("../../../redis/scripts/gcra.lua");
/// Token bucket with reservations.
pub const TOKEN_BUCKET: &str = include_str!("../../../redis/scripts/token_bucket.lua");
/// Fixed window.
pub const FIXED_WINDOW: &str = include_str!("../../../redis/scripts/fixed_window.lua");
/// Sliding window counter.
pub const SLIDING_WINDOW: &str = include_str!("../../../redis/scripts/sliding_window.lua");
/// Sliding log.
pub const SLIDING_LOG: &str = include_str!("../../../redis/scripts/sliding_log.lua");
/// Burst tiers (needs GCRA).
pub const BURST: &str = include_str!("../../../redis/scripts/burst.lua");
/// Credits.
pub const CREDITS: &str = include_str!("../../../redis/scripts/credits.lua");
/// Concurrency leases.
pub const CONCURRENCY: &str = include_str!("../../../redis/scripts/concurrency.lua");
/// The all-or-nothing combination (needs the member algorithms).
pub const ALL_OF: &str = include_str!("../../../redis/scripts/all_of.lua");
/// The arithmetic test entry point (tests only).
pub const ARITH: &str = include_str!("../../../redis/scripts/arith.lua");
/// The entry point, last in every script.
pub const MAIN: &str = include_str!("../../../redis/scripts/main.lua");
/// Which files make each script, one script per line: `name: file file ...`.
pub const MANIFEST: &str = include_str!("../../../redis/scripts/manifest");

/// One of the scripts of `redis/scripts/manifest`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Script {
    /// GCRA.
    Gcra,
    /// Token bucket (check, reserve, cancel).
    TokenBucket,
    /// Fixed window.
    FixedWindow,
    /// Sliding window counter.
    SlidingWindow,
    /// Sliding log.
    SlidingLog,
    /// Burst tiers.
    Burst,
    /// Credits (check, top up).
    Credits,
    /// Concurrency leases (check, acquire, release, renew).
    Concurrency,
    /// Every algorithm but concurrency, and the all-or-nothing combination of them.
    AllOf,
    /// The arithmetic under test (never used by limiters).
    Arith,
}

impl Script {
    /// Every script.
    pub const ALL: [Script; 10] = [
        Script::Gcra,
        Script::TokenBucket,
        Script::FixedWindow,
        Script::SlidingWindow,
        Script::SlidingLog,
        Script::Burst,
        Script::Credits,
        Script::Concurrency,
        Script::AllOf,
        Script::Arith,
    ];

    /// The script's name in the manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Script::Gcra => "gcra",
            Script::TokenBucket => "token_bucket",
            Script::FixedWindow => "fixed_window",
            Script::SlidingWindow => "sliding_window",
            Script::SlidingLog => "sliding_log",
            Script::Burst => "burst",
            Script::Credits => "credits",
            Script::Concurrency => "concurrency",
            Script::AllOf => "all_of",
            Script::Arith => "arith",
        }
    }

    /// The files of the script, in order, as `(file name, text)`.
    pub const fn files(self) -> &'static [(&'static str, &'static str)] {
        const L: (&str, &str) = ("lib.lua", LIB);
        const M: (&str, &str) = ("main.lua", MAIN);
        const G: (&str, &str) = ("gcra.lua", GCRA);
        const F: (&str, &str) = ("fast.lua", FAST);
        match self {
            Script::Gcra => &[F, L, G, M],
            Script::TokenBucket => &[F, L, ("token_bucket.lua", TOKEN_BUCKET), M],
            Script::FixedWindow => &[F, L, ("fixed_window.lua", FIXED_WINDOW), M],
            Script::SlidingWindow => &[F, L, ("sliding_window.lua", SLIDING_WINDOW), M],
            Script::SlidingLog => &[F, L, ("sliding_log.lua", SLIDING_LOG), M],
            Script::Burst => &[F, L, G, ("burst.lua", BURST), M],
            Script::Credits => &[F, L, ("credits.lua", CREDITS), M],
            Script::Concurrency => &[F, L, ("concurrency.lua", CONCURRENCY), M],
            Script::AllOf => &[
                F,
                L,
                G,
                ("token_bucket.lua", TOKEN_BUCKET),
                ("fixed_window.lua", FIXED_WINDOW),
                ("sliding_window.lua", SLIDING_WINDOW),
                ("sliding_log.lua", SLIDING_LOG),
                ("burst.lua", BURST),
                ("credits.lua", CREDITS),
                ("all_of.lua", ALL_OF),
                M,
            ],
            Script::Arith => &[L, ("arith.lua", ARITH), M],
        }
    }

    /// The script's text: its files, each followed by a newline.
    pub fn source(self) -> &'static str {
        &self.compiled().0
    }

    /// The SHA1 of [`Script::source`] in lowercase hex, for `EVALSHA`.
    pub fn sha1(self) -> &'static str {
        &self.compiled().1
    }

    fn compiled(self) -> &'static (String, String) {
        static COMPILED: [OnceLock<(String, String)>; 10] = [const { OnceLock::new() }; 10];
        let slot = &COMPILED[self as usize];
        slot.get_or_init(|| {
            let mut source = String::new();
            for (_, text) in self.files() {
                source.push_str(text);
                source.push('\n');
            }
            let sha = redis::Script::new(&source).get_hash().to_owned();
            (source, sha)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The manifest is what the other languages read: the Rust composition must be the same.
    #[test]
    fn every_script_is_composed_as_the_manifest_says() {
        let mut seen = 0;
        for line in MANIFEST.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, files) = line.split_once(':').expect("name: files");
            let script = Script::ALL
                .into_iter()
                .find(|s| s.name() == name.trim())
                .unwrap_or_else(|| panic!("{name} is not a Script"));
            let ours: Vec<&str> = script.files().iter().map(|(f, _)| *f).collect();
            let theirs: Vec<&str> = files.split_whitespace().collect();
            assert_eq!(ours, theirs, "script {name}");
            seen += 1;
        }
        assert_eq!(seen, Script::ALL.len());
    }

    #[test]
    fn sources_end_with_the_entry_point_and_hash_to_forty_hex_digits() {
        for s in Script::ALL {
            assert!(s.source().starts_with(LIB) || s.source().starts_with(FAST));
            assert!(s.source().trim_end().ends_with("return R.main(KEYS, ARGV)"));
            assert_eq!(s.sha1().len(), 40);
            assert!(s.sha1().bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
}
