//! Every target body over its seeds and its saved crashes, as plain tests.

use std::path::{Path, PathBuf};

use ami_proto::{Action, EncodeError, ServerMessage};

use crate::{TARGETS, decode_chunking, roundtrip, seeds};

fn target(name: &str) -> crate::Body {
    TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| *body)
        .expect("a target")
}

/// The files of `dir` (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths
}

/// Runs the target `name` over every file of `dir`; returns how many.
fn run_dir(name: &str, dir: &Path) -> usize {
    let body = target(name);
    let paths = files(dir);
    for path in &paths {
        let data = std::fs::read(path).expect("a readable input");
        if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
            eprintln!("{name} failed on {}", path.display());
            std::panic::resume_unwind(panic);
        }
    }
    paths.len()
}

fn seeds_and_regressions(name: &str) {
    let n = run_dir(name, &seeds::seeds_dir(name));
    assert!(n > 0, "no seeds for {name}: run the make_seeds example");
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(name);
    run_dir(name, &regressions);
}

#[test]
fn decode_seeds_and_regressions() {
    seeds_and_regressions("decode");
}

#[test]
fn chunking_seeds_and_regressions() {
    seeds_and_regressions("chunking");
}

#[test]
fn roundtrip_seeds_and_regressions() {
    seeds_and_regressions("roundtrip");
}

#[test]
fn connection_seeds_and_regressions() {
    seeds_and_regressions("connection");
}

#[test]
fn live_seeds_and_regressions() {
    seeds_and_regressions("live");
}

/// The committed seeds are what `seeds::build` makes of the captures.
#[test]
fn seeds_are_up_to_date() {
    for (name, _) in TARGETS {
        let dir = seeds::seeds_dir(name);
        let built = seeds::build(name);
        let on_disk: Vec<(String, Vec<u8>)> = files(&dir)
            .into_iter()
            .map(|p| {
                let file = p
                    .file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned();
                (file, std::fs::read(&p).expect("a readable seed"))
            })
            .collect();
        let mut built_sorted = built.clone();
        built_sorted.sort();
        assert!(
            on_disk == built_sorted,
            "fuzz/seeds/{name} is stale: run \
             `cargo run --manifest-path fuzz/Cargo.toml --example make_seeds`"
        );
    }
}

#[test]
fn small_inputs() {
    for data in [
        &b""[..],
        b"\r",
        b"\n\n\r\n",
        b"Asterisk Call Manager/7.0.3\r\n",
        b"Response: Follows\r\n--END COMMAND--\r\n\r\n",
        b"Event: X\nA: 1\n\nEvent: Y\r\n",
    ] {
        for (_, body) in TARGETS {
            body(data);
        }
        decode_chunking(data);
    }
}

/// The hand-written roundtrip seeds reach every refusal, as the encoder
/// itself says (the model in the target is checked against the same).
#[test]
fn roundtrip_seeds_reach_every_refusal() {
    let mut seen = Vec::new();
    for (name, data) in seeds::build("roundtrip") {
        let refusal = match roundtrip::parse(&data) {
            Some(roundtrip::Input::Action {
                name: action,
                pairs,
                ..
            }) => {
                let mut a = Action::new(action);
                for (k, v) in pairs {
                    a.push_header(k, v);
                }
                a.validate().err()
            }
            Some(roundtrip::Input::Server { first, pairs }) => {
                let mut m = ServerMessage::new(first.0, first.1);
                for (k, v) in pairs {
                    m.push_header(k, v);
                }
                m.to_bytes().err()
            }
            Some(roundtrip::Input::Legacy { id, output }) => {
                ami_proto::encode_legacy_command(&mut Vec::new(), id.as_deref(), &output).err()
            }
            _ => None,
        };
        if let Some(e) = refusal {
            seen.push((name, std::mem::discriminant(&e)));
        }
    }
    for want in [
        EncodeError::EmptyName,
        EncodeError::BadName {
            name: String::new(),
            byte: 0,
        },
        EncodeError::BadValue {
            name: String::new(),
            byte: 0,
        },
        EncodeError::LineTooLong {
            name: String::new(),
            len: 0,
            max: 0,
        },
        EncodeError::TooManyHeaders { count: 0, max: 0 },
        EncodeError::OutputHoldsTerminator,
    ] {
        assert!(
            seen.iter()
                .any(|(_, d)| *d == std::mem::discriminant(&want)),
            "no seed refused with {want:?}: {seen:?}"
        );
    }
    let line = |n: &str| seen.iter().any(|(s, _)| s == n);
    assert!(!line("hand-line-1024") && line("hand-line-1025"));
    assert!(!line("hand-headers-128") && line("hand-headers-129"));
}

/// A cheap stand-in for the fuzzer in CI: every target over two thousand
/// deterministic mutations of its seeds (bit flips, byte changes, cuts,
/// splices), so that a change breaking an invariant off the seeds' beaten
/// path still fails a plain `cargo test`.
#[test]
fn mutated_seeds() {
    const PER_TARGET: usize = 2000;
    for (name, body) in TARGETS {
        let seeds: Vec<Vec<u8>> = files(&seeds::seeds_dir(name))
            .iter()
            .map(|p| std::fs::read(p).expect("a readable seed"))
            .filter(|s| s.len() <= 4096)
            .collect();
        assert!(!seeds.is_empty());
        let mut rng = 0x2545_f491_4f6c_dd1d_u64 ^ name.len() as u64;
        let mut next = move |n: usize| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            usize::try_from(rng % n.max(1) as u64).expect("fits")
        };
        for _ in 0..PER_TARGET {
            let mut data = seeds[next(seeds.len())].clone();
            for _ in 0..=next(4) {
                let at = next(data.len() + 1);
                match next(5) {
                    0 if at < data.len() => data[at] ^= 1 << next(8),
                    1 if at < data.len() => data[at] = next(256) as u8,
                    2 => data.insert(at, next(256) as u8),
                    3 => data.truncate(at),
                    _ => {
                        let other = &seeds[next(seeds.len())];
                        let from = next(other.len() + 1);
                        let len = next(64).min(other.len() - from);
                        data.splice(at..at, other[from..from + len].iter().copied());
                    }
                }
            }
            if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
                let path = std::env::temp_dir().join(format!("ami-proto-fuzz-{name}-failure"));
                std::fs::write(&path, &data).expect("a writable temp dir");
                eprintln!(
                    "{name} failed on a mutated seed, written to {}: \
                     replay it, keep it in fuzz/regressions/{name}/",
                    path.display()
                );
                std::panic::resume_unwind(panic);
            }
        }
    }
}
