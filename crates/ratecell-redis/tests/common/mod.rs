//! What the Redis tests share: a real server, raw script calls, unique key prefixes.
//!
//! The tests need a real `redis-server` on the loopback interface. Each test binary starts
//! one of its own on a free port, in a temporary directory, without persistence, and it goes
//! away with the binary (see [`OwnServer`]). `RATECELL_REDIS_URL` names another loopback
//! server to use instead; `RATECELL_REDIS_SERVER` names the binary (default `redis-server`).
//!
//! Without the binary the tests are skipped, saying so, unless `CI` or
//! `RATECELL_REDIS_REQUIRED` is set (`make test-redis` sets it): then they fail.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ratecell_redis::{Options, Script};
use redis::Value;

/// The variable naming a server to use instead of one of the tests' own,
/// `redis://127.0.0.1:<port>/`.
pub const URL_VAR: &str = "RATECELL_REDIS_URL";

/// True when the environment demands a server: a missing binary is then a failure.
fn required() -> bool {
    let set = |name: &str| {
        std::env::var(name).is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "no"))
    };
    set("CI") || set("RATECELL_REDIS_REQUIRED")
}

/// The server binary: `RATECELL_REDIS_SERVER` or `redis-server`.
fn server_binary() -> String {
    std::env::var("RATECELL_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

/// True when `redis-server` can be run. Without it: a message and `false` (the test skips),
/// or a failure when the environment requires a server.
pub fn server_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let available = *AVAILABLE.get_or_init(|| {
        Command::new(server_binary())
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !available {
        assert!(
            !required(),
            "`{}` cannot be run, and CI (or RATECELL_REDIS_REQUIRED) requires a real Redis \
             server: install it (`apt-get install redis-server`)",
            server_binary()
        );
        eprintln!(
            "skipped: `{}` is not installed (apt-get install redis-server); \
             under CI=true this is a failure",
            server_binary()
        );
    }
    available
}

/// The test server's URL, or `None` (with a message) when the test is to be skipped: the
/// server named by `RATECELL_REDIS_URL`, otherwise one this test binary starts on first use.
/// Any address but the loopback interface is refused: the tests flush and kill servers.
pub fn url() -> Option<String> {
    static SHARED: OnceLock<std::sync::Mutex<OwnServer>> = OnceLock::new();
    if let Ok(url) = std::env::var(URL_VAR) {
        let rest = url
            .strip_prefix("redis://127.0.0.1:")
            .unwrap_or_else(|| panic!("{URL_VAR} must be redis://127.0.0.1:<port>/, got {url}"));
        assert!(
            rest.trim_end_matches('/').parse::<u16>().is_ok(),
            "{URL_VAR} must name a port: {url}"
        );
        return Some(url);
    }
    // One server for the whole binary: statics are never dropped, so it stops when the
    // binary exits and its watcher's stdin closes (see `OwnServer`).
    if !server_available() {
        return None;
    }
    let server = SHARED.get_or_init(|| std::sync::Mutex::new(OwnServer::start("shared")));
    Some(
        server
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .url(),
    )
}

/// Skips the calling test when there is no server; otherwise its URL.
#[allow(unused_macros)]
macro_rules! server_or_skip {
    () => {
        match common::url() {
            Some(url) => url,
            None => return,
        }
    };
}

/// A server of the test's own (for tests that kill and restart it), or a skip.
#[allow(unused_macros)]
macro_rules! own_server_or_skip {
    ($name:expr) => {
        if common::server_available() {
            common::OwnServer::start($name)
        } else {
            return;
        }
    };
}

/// A key prefix no other test (or run) uses.
pub fn prefix(test: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("t-{test}-{}-{n}", std::process::id())
}

/// Options for tests with instants of their own: keys outlive the simulated time.
pub fn options(test: &str) -> Options {
    Options::default()
        .with_prefix(prefix(test))
        .with_ttl_floor(Duration::from_secs(600))
        .with_timeout(Duration::from_secs(5))
}

pub fn connection(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("the test server accepts connections")
}

/// Calls `script` with `EVALSHA`, loading it first if the server does not know it (the raw
/// convention of `redis/README.md`).
pub fn call(
    con: &mut redis::Connection,
    script: Script,
    keys: &[&str],
    args: &[&str],
) -> redis::RedisResult<Value> {
    let evalsha = |con: &mut redis::Connection| {
        redis::cmd("EVALSHA")
            .arg(script.sha1())
            .arg(keys.len())
            .arg(keys)
            .arg(args)
            .query(con)
    };
    match evalsha(con) {
        Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
            let _: String = redis::cmd("SCRIPT")
                .arg("LOAD")
                .arg(script.source())
                .query(con)?;
            evalsha(con)
        }
        other => other,
    }
}

/// Calls `script` with `EVAL`.
pub fn eval(
    con: &mut redis::Connection,
    script: Script,
    keys: &[&str],
    args: &[&str],
) -> redis::RedisResult<Value> {
    redis::cmd("EVAL")
        .arg(script.source())
        .arg(keys.len())
        .arg(keys)
        .arg(args)
        .query(con)
}

/// A reply's elements as text (integers in decimal).
pub fn texts(v: &Value) -> Vec<String> {
    let Value::Array(items) = v else {
        panic!("expected an array, got {v:?}")
    };
    items
        .iter()
        .map(|x| match x {
            Value::BulkString(b) => String::from_utf8(b.clone()).expect("utf-8"),
            Value::SimpleString(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            other => panic!("unexpected element {other:?}"),
        })
        .collect()
}

/// A redis-server of the test's own, on a free loopback port, in a temporary directory,
/// without persistence. Killed on drop, and in any case when the test binary exits: the server
/// runs under a small shell that kills it as soon as its stdin (a pipe from this process)
/// closes, which the kernel does when this process ends, however it ends.
pub struct OwnServer {
    watcher: Option<(Child, ChildStdin)>,
    pub port: u16,
    dir: std::path::PathBuf,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("an address").port()
}

/// Runs `redis-server "$@"` until stdin closes, then kills it and waits for it.
const WATCHER: &str = r#"
"$0" "$@" </dev/null >/dev/null 2>&1 &
pid=$!
read -r _ || true
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
exit 0
"#;

impl OwnServer {
    pub fn start(test: &str) -> OwnServer {
        let dir = std::env::temp_dir().join(prefix(test));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut server = OwnServer {
            watcher: None,
            port: free_port(),
            dir,
        };
        server.restart();
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Starts the server again on the same port (after `kill`), and waits until it answers.
    pub fn restart(&mut self) {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHER)
            .arg(server_binary())
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh starts redis-server");
        let stdin = child.stdin.take().expect("a piped stdin");
        self.watcher = Some((child, stdin));
        let client = redis::Client::open(self.url()).expect("a client");
        for _ in 0..300 {
            if let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(100))
                && redis::cmd("PING").query::<String>(&mut con).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    /// Kills the server at once (no shutdown: as a crash or a lost machine would) and waits
    /// until it is gone.
    pub fn kill(&mut self) {
        if let Some((mut child, mut stdin)) = self.watcher.take() {
            let _ = stdin.write_all(b"stop\n");
            drop(stdin);
            let _ = child.wait();
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
