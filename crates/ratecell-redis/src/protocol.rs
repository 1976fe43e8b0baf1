//! The scripts' calling convention: building a call, reading a reply (see `redis/README.md`).

use ratecell::{Decision, Nanos};
use redis::Value;

use crate::error::Error;
use crate::options::{Now, Options};
use crate::policy::Spec;
use crate::scripts::Script;

/// One script call: `EVALSHA <sha> <#keys> <keys> <op> <now> <epoch> <floor_ms> <args>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Call {
    pub(crate) script: Script,
    pub(crate) keys: Vec<String>,
    pub(crate) args: Vec<String>,
}

impl Call {
    /// A call of `op` at `now`, with the store's header arguments.
    pub(crate) fn new(script: Script, op: &str, now: Now, options: &Options) -> Call {
        let now = match now {
            Now::Server => String::new(),
            Now::At(t) => t.as_nanos().to_string(),
        };
        let floor_ms = options.ttl_floor().as_millis().to_string();
        Call {
            script,
            keys: Vec::new(),
            args: vec![op.to_owned(), now, options.epoch().to_string(), floor_ms],
        }
    }

    /// A call of `op` on one key of the limiter `spec`.
    pub(crate) fn on(spec: &Spec, op: &str, key: String, now: Now, options: &Options) -> Call {
        let mut call = Call::new(spec.script(), op, now, options);
        call.keys.push(key);
        call.args.extend(spec.args().iter().cloned());
        call
    }

    pub(crate) fn arg(mut self, arg: impl Into<u64>) -> Call {
        self.args.push(arg.into().to_string());
        self
    }
}

/// One element of a reply after the status: decimal text or an integer.
#[derive(Clone, Debug)]
enum Field {
    Text(String),
    Int(i64),
}

/// A reply: `[status, now, fields...]`.
#[derive(Clone, Debug)]
pub(crate) struct Reply {
    status: String,
    pub(crate) now: Nanos,
    fields: Vec<Field>,
}

fn protocol(what: impl Into<String>) -> Error {
    Error::Protocol(what.into())
}

fn field(v: Value) -> Result<Field, Error> {
    match v {
        Value::BulkString(b) => String::from_utf8(b)
            .map(Field::Text)
            .map_err(|_| protocol("a reply field is not UTF-8")),
        Value::SimpleString(s) => Ok(Field::Text(s)),
        Value::Int(i) => Ok(Field::Int(i)),
        other => Err(protocol(format!("unexpected reply field {other:?}"))),
    }
}

impl Reply {
    pub(crate) fn parse(v: Value) -> Result<Reply, Error> {
        let Value::Array(items) = v else {
            return Err(protocol(format!("expected an array, got {v:?}")));
        };
        let mut fields = items.into_iter().map(field);
        let status = match fields.next().transpose()? {
            Some(Field::Text(s)) => s,
            other => return Err(protocol(format!("expected a status, got {other:?}"))),
        };
        let now = match fields.next().transpose()? {
            Some(Field::Text(s)) => s
                .parse()
                .map(Nanos::new)
                .map_err(|_| protocol(format!("now is not a u64: {s}")))?,
            other => return Err(protocol(format!("expected now, got {other:?}"))),
        };
        let fields = fields.collect::<Result<Vec<_>, _>>()?;
        let reply = Reply {
            status,
            now,
            fields,
        };
        match reply.status.as_str() {
            "ok" => Ok(reply),
            "insufficient_capacity" => Err(Error::Limit(ratecell::Error::InsufficientCapacity {
                capacity: reply.u64(0)?,
            })),
            "credits_overflow" => Err(Error::Limit(ratecell::Error::CreditsOverflow {
                headroom: reply.u64(0)?,
            })),
            other => Err(protocol(format!("unknown status {other}"))),
        }
    }

    /// The `i`-th field after `now` as a u64.
    pub(crate) fn u64(&self, i: usize) -> Result<u64, Error> {
        match self.fields.get(i) {
            Some(Field::Text(s)) => s
                .parse()
                .map_err(|_| protocol(format!("field {i} is not a u64: {s}"))),
            Some(Field::Int(n)) => {
                u64::try_from(*n).map_err(|_| protocol(format!("field {i} is {n}")))
            }
            None => Err(protocol(format!("field {i} is missing"))),
        }
    }

    /// The `i`-th field after `now` as an integer (flags, indices).
    pub(crate) fn int(&self, i: usize) -> Result<i64, Error> {
        match self.fields.get(i) {
            Some(Field::Int(n)) => Ok(*n),
            Some(Field::Text(s)) => s
                .parse()
                .map_err(|_| protocol(format!("field {i} is not an integer: {s}"))),
            None => Err(protocol(format!("field {i} is missing"))),
        }
    }

    pub(crate) fn flag(&self, i: usize) -> Result<bool, Error> {
        match self.int(i)? {
            0 => Ok(false),
            1 => Ok(true),
            n => Err(protocol(format!("field {i} is {n}, not a flag"))),
        }
    }

    /// A decision in fields `i..i + 5`: `allowed`, `limit`, `remaining`,
    /// `retry_after`, `reset_after`.
    pub(crate) fn decision(&self, i: usize) -> Result<Decision, Error> {
        Ok(Decision {
            allowed: self.flag(i)?,
            limit: self.u64(i + 1)?,
            remaining: self.u64(i + 2)?,
            retry_after: Nanos::new(self.u64(i + 3)?),
            reset_after: Nanos::new(self.u64(i + 4)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn a_decision_reply_reads_back_every_field() {
        let v = Value::Array(vec![
            bulk("ok"),
            bulk("91463113553263000"),
            Value::Int(0),
            bulk("3"),
            bulk("0"),
            bulk("200000000"),
            bulk("18446744073709551615"),
        ]);
        let r = Reply::parse(v).unwrap();
        assert_eq!(r.now, Nanos::new(91_463_113_553_263_000));
        let d = r.decision(0).unwrap();
        assert!(!d.allowed);
        assert_eq!((d.limit, d.remaining), (3, 0));
        assert_eq!(d.retry_after, Nanos::from_millis(200));
        assert_eq!(d.reset_after, Nanos::MAX);
    }

    #[test]
    fn error_statuses_become_the_core_errors() {
        let v = Value::Array(vec![bulk("insufficient_capacity"), bulk("0"), bulk("5")]);
        assert!(matches!(
            Reply::parse(v),
            Err(Error::Limit(ratecell::Error::InsufficientCapacity {
                capacity: 5
            }))
        ));
        assert!(matches!(Reply::parse(Value::Nil), Err(Error::Protocol(_))));
    }

    #[test]
    fn calls_carry_the_header_then_the_spec() {
        let spec = Spec::of(&ratecell::Credits::new(10)).unwrap();
        let options = Options::default();
        let call =
            Call::on(&spec, "check", "k".into(), Now::At(Nanos::new(5)), &options).arg(3_u64);
        assert_eq!(call.keys, ["k"]);
        assert_eq!(
            call.args,
            ["check", "5", "1704067200", "0", "credits", "10", "3"]
        );
        let call = Call::on(&spec, "check", "k".into(), Now::Server, &options);
        assert_eq!(call.args[1], "");
    }
}
