//! What the Redis tests share: the server's address, raw script calls, unique key prefixes.
//!
//! The tests need a real server on the loopback interface. `make test` (see `redis/redis.mk`)
//! starts one in a temporary directory and sets `RATECELL_REDIS_URL`; a plain `cargo test`
//! without it skips them, saying so.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ratecell_redis::{Options, Script};
use redis::Value;

/// The variable naming the test server, `redis://127.0.0.1:<port>/`.
pub const URL_VAR: &str = "RATECELL_REDIS_URL";

/// The test server's URL, or `None` (with a message) when the tests are to be skipped.
/// Any address but the loopback interface is refused: the tests flush and kill servers.
pub fn url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) => {
            let rest = url.strip_prefix("redis://127.0.0.1:").unwrap_or_else(|| {
                panic!("{URL_VAR} must be redis://127.0.0.1:<port>/, got {url}")
            });
            assert!(
                rest.trim_end_matches('/').parse::<u16>().is_ok(),
                "{URL_VAR} must name a port: {url}"
            );
            Some(url)
        }
        Err(_) => {
            eprintln!(
                "skipped: {URL_VAR} is not set (run `make test-redis`, which starts a server)"
            );
            None
        }
    }
}

/// Skips the calling test when there is no server.

#[allow(unused_macros)]
macro_rules! server_or_skip {
    () => {
        match common::url() {
            Some(url) => url,
            None => return,
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
            let _: String = redis::cmd("SCRIPT").arg("LOAD").arg(script.source()).query(con)?;
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
/// without persistence: for tests that kill and restart their server. Killed on drop.
pub struct OwnServer {
    child: Option<std::process::Child>,
    pub port: u16,
    dir: std::path::PathBuf,
}

/// The server binary: `RATECELL_REDIS_SERVER` (set by `make test-redis`) or `redis-server`.
fn server_binary() -> String {
    std::env::var("RATECELL_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("an address").port()
}

impl OwnServer {
    pub fn start(test: &str) -> OwnServer {
        let dir = std::env::temp_dir().join(prefix(test));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut server = OwnServer {
            child: None,
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
        let child = std::process::Command::new(server_binary())
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).expect("a client");
        for _ in 0..200 {
            if let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(100))
                && redis::cmd("PING").query::<String>(&mut con).is_ok()
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("redis-server did not answer on port {}", self.port);
    }

    /// Kills the server at once (no shutdown: as a crash or a lost machine would).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
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
