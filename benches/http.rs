//! The cost of writing a response's rate-limit fields, and of reading them back.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratecell::http::{HeaderStyle, Policy, RateLimitInfo, ResponseFields};
use ratecell::{Gcra, GcraState, Nanos, Quota};

fn write_fields(c: &mut Criterion) {
    let mut group = c.benchmark_group("http/write_fields");
    group.throughput(Throughput::Elements(1));
    let burst = Quota::parse("100/minute burst 120").expect("valid quota");
    let daily = Quota::parse("10000/day").expect("valid quota");
    let mut keys = [GcraState::default(); 2];
    let d0 = Gcra::new(burst)
        .check(&mut keys[0], Nanos::from_secs(1), 1)
        .expect("fits");
    let d1 = Gcra::new(daily)
        .check(&mut keys[1], Nanos::from_secs(1), 1)
        .expect("fits");
    let policies = [
        Policy::from_quota("burst", &burst, d0).expect("valid name"),
        Policy::from_quota("daily", &daily, d1).expect("valid name"),
    ];
    for style in HeaderStyle::ALL {
        let fields =
            ResponseFields::new(style, &policies).with_unix_now(Nanos::from_secs(1_706_284_800));
        group.bench_function(style.as_str(), |b| {
            b.iter(|| {
                let mut bytes = 0;
                black_box(&fields)
                    .for_each(|name, value| bytes += name.len() + value.len())
                    .expect("fits");
                black_box(bytes)
            });
        });
    }
    group.finish();
}

fn read_fields(c: &mut Criterion) {
    let mut group = c.benchmark_group("http/read_fields");
    group.throughput(Throughput::Elements(1));
    let responses: [(&str, &[(&str, &str)]); 3] = [
        (
            "ietf",
            &[
                (
                    "RateLimit-Policy",
                    r#""burst";q=100;w=60, "daily";q=10000;w=86400"#,
                ),
                ("RateLimit", r#""burst";r=119;t=1, "daily";r=9999;t=9"#),
            ],
        ),
        (
            "draft-7",
            &[
                ("RateLimit-Policy", "100;w=60"),
                ("RateLimit", "limit=100, remaining=119, reset=1"),
            ],
        ),
        (
            "legacy",
            &[
                ("X-RateLimit-Limit", "100"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", "1706284812"),
                ("Retry-After", "Fri, 26 Jan 2024 16:00:12 GMT"),
            ],
        ),
    ];
    for (name, fields) in responses {
        group.bench_function(name, |b| {
            b.iter(|| {
                RateLimitInfo::from_fields(
                    black_box(fields).iter().copied(),
                    Nanos::from_secs(1_706_284_800),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, write_fields, read_fields);
criterion_main!(benches);
