//! `gen_corpus`: writes the benchmark corpus, byte-identical to
//! `gen_corpus.py` with the same arguments, and `FILE.meta.json` beside it.
//!
//! ```text
//! gen_corpus --messages 200000 --seed 1 --out corpus.ami [--chanvar-style modern|legacy]
//! ```

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use ami_benches::corpus::{BANNER, ChanvarStyle, Generator, write_message};
use ami_benches::meta::Stats;

const USAGE: &str = "usage: gen_corpus [--messages N] [--seed S] --out FILE \
                     [--chanvar-style {modern,legacy}]";

struct Args {
    messages: usize,
    seed: i128,
    out: String,
    style: ChanvarStyle,
}

fn parse_args() -> Result<Args, String> {
    let mut messages = 200_000;
    let mut seed = 1;
    let mut out = None;
    let mut style = ChanvarStyle::Modern;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("argument {name}: expected one argument"))
        };
        match name.as_str() {
            "--messages" => {
                let v = value()?;
                messages = v
                    .parse()
                    .map_err(|_| format!("argument --messages: invalid int value: '{v}'"))?;
            }
            "--seed" => {
                let v = value()?;
                seed = v
                    .parse()
                    .map_err(|_| format!("argument --seed: invalid int value: '{v}'"))?;
            }
            "--out" => out = Some(value()?),
            "--chanvar-style" => {
                style = match value()?.as_str() {
                    "modern" => ChanvarStyle::Modern,
                    "legacy" => ChanvarStyle::Legacy,
                    v => return Err(format!("argument --chanvar-style: invalid choice: '{v}'")),
                };
            }
            other => return Err(format!("unrecognized arguments: {other}")),
        }
    }
    let out = out.ok_or("the following arguments are required: --out")?;
    if messages < 2 {
        return Err("--messages must be >= 2".to_owned());
    }
    Ok(Args {
        messages,
        seed,
        out,
        style,
    })
}

fn run(args: &Args) -> std::io::Result<()> {
    let seed = u64::try_from(args.seed.unsigned_abs()).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, "seed beyond 64 bits")
    })?;
    let mut file = BufWriter::new(std::fs::File::create(&args.out)?);
    file.write_all(BANNER.as_bytes())?;
    let mut bytes = BANNER.len() as u64;
    let mut stats = Stats::default();
    let mut buf = Vec::with_capacity(1 << 16);
    for message in Generator::new(seed, args.style, args.messages) {
        stats.add(&message);
        write_message(&message, &mut buf);
        if buf.len() >= 1 << 16 {
            bytes += buf.len() as u64;
            file.write_all(&buf)?;
            buf.clear();
        }
    }
    bytes += buf.len() as u64;
    file.write_all(&buf)?;
    file.flush()?;
    assert!(stats.ends_well(), "the stream must end on the sentinel");
    let meta = stats.meta_json(&args.out, args.seed, args.style, bytes);
    std::fs::write(format!("{}.meta.json", args.out), meta)?;
    println!("{}", stats.summary(&args.out, bytes));
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{USAGE}\ngen_corpus: error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}
