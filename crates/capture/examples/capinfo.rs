//! Prints, for each capture path given (arguments, or one per line on stdin), one
//! tab-separated line: path, format, frames, first and last timestamp (ns), link types,
//! precision and the error that ended the read, if any. For differential checks against
//! `capinfos`/`tshark`: `cargo run --release -p capture --example capinfo -- FILE…`.
//! `--mmap` first reads the files through mapped windows instead of read(2).

use std::io::BufRead;
use std::path::Path;

use capture::{CaptureLimits, FileSource, PacketSource};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut limits = CaptureLimits::default();
    if args.first().is_some_and(|a| a == "--mmap") {
        args.remove(0);
        limits.map_window = CaptureLimits::MAP_WINDOW;
    }
    let paths: Vec<String> = if args.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .map_while(Result::ok)
            .collect()
    } else {
        args
    };
    for path in paths {
        let mut src = match FileSource::open(Path::new(&path), limits) {
            Ok(s) => s,
            Err(e) => {
                println!("{path}\t-\t0\t-\t-\t-\t-\t{e}");
                continue;
            }
        };
        let (mut n, mut first, mut last, mut bytes) = (0u64, None, None, 0u64);
        let err = loop {
            match src.next_frame() {
                Ok(Some(f)) => {
                    n += 1;
                    bytes += f.data.len() as u64;
                    first.get_or_insert(f.ts.0);
                    last = Some(f.ts.0);
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
        };
        let lts: Vec<String> = src.link_types().iter().map(|l| l.0.to_string()).collect();
        println!(
            "{path}\t{}\t{n}\t{}\t{}\t{}\t{:?}\t{}\t{bytes}",
            src.format(),
            first.map_or("-".into(), |t| t.to_string()),
            last.map_or("-".into(), |t| t.to_string()),
            lts.join(","),
            src.precision(),
            err.map_or(String::new(), |e| e.to_string()),
        );
    }
}
