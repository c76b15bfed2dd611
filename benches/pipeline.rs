//! Times each stage of the pipeline on a policies directory:
//! `cargo bench --bench pipeline -- DIR [--at RFC3339]` (bench/run.sh drives it).
//!
//! "read+parse" is the floor the pipeline is measured against: reading every file and parsing
//! it as HuJSON, nothing else. The targets are render <= 2x and check <= 3x that floor.
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tailgrant::load::{self, Repository};

// The pipeline allocates many small values (one per JSON value and comment); mimalloc makes
// that markedly cheaper than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let dir = PathBuf::from(args.first().map_or("policies", String::as_str));
    let at: jiff::Timestamp = args
        .iter()
        .position(|a| a == "--at")
        .and_then(|i| args.get(i + 1))
        .map_or("2026-11-22T12:00:00Z", String::as_str)
        .parse()
        .expect("--at takes an RFC 3339 instant");
    // `--only STAGE` loops one stage alone for a profiler (perf record).
    if let Some(stage) = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)) {
        let repo = Repository::load(&dir).unwrap();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            match stage.as_str() {
                "merge" => drop(std::hint::black_box(tailgrant::merge::render(&repo, at))),
                "load" => drop(std::hint::black_box(Repository::load(&dir))),
                "render" => {
                    let repo = Repository::load(&dir).unwrap();
                    drop(std::hint::black_box(tailgrant::merge::render(&repo, at)));
                }
                other => panic!("--only takes merge, load or render, not {other}"),
            }
        }
        return;
    }
    let files = files(&dir);
    let bytes: usize = files.iter().map(|f| std::fs::metadata(f).map_or(0, |m| m.len() as usize)).sum();
    println!("{}: {} files, {:.1} MB, at {at}", dir.display(), files.len(), bytes as f64 / 1e6);

    let floor = time("read+parse", || {
        for f in &files {
            let b = std::fs::read(f).unwrap();
            std::hint::black_box(tailgrant::parse::parse(&b).unwrap());
        }
    });
    // The same work, keeping every tree until all files are parsed, as any program that then
    // uses them must: this floor pays for the memory the trees occupy.
    let kept = time("read+parse, trees kept", || {
        let trees: Vec<_> =
            files.iter().map(|f| tailgrant::parse::parse(&std::fs::read(f).unwrap()).unwrap()).collect();
        std::hint::black_box(trees);
    });
    time("load (read, parse, decode)", || {
        std::hint::black_box(Repository::load(&dir).unwrap());
    });
    let repo = Repository::load(&dir).unwrap();
    time("  merge + format only", || {
        std::hint::black_box(tailgrant::merge::render(&repo, at).unwrap());
    });
    let tests = {
        let view = tailgrant::load::view::View::active(&repo, at);
        let compiled = tailgrant::evaluate::Compiled::new(&view);
        let mut findings = Vec::new();
        tailgrant::evaluate::run::run(&view, &compiled, &mut findings)
    };
    println!("tests in force: {} passed, {} failed, {} inconclusive", tests.passed, tests.failed, tests.inconclusive);
    time("  tests only (compile + evaluate)", || {
        let view = tailgrant::load::view::View::active(&repo, at);
        let compiled = tailgrant::evaluate::Compiled::new(&view);
        let mut findings = Vec::new();
        std::hint::black_box(tailgrant::evaluate::run::run(&view, &compiled, &mut findings));
    });
    time("  checks only", || {
        std::hint::black_box(tailgrant::pipeline::check(&repo, at));
    });
    drop(repo);
    let render = time("render (load + merge + format)", || {
        let repo = Repository::load(&dir).unwrap();
        std::hint::black_box(tailgrant::merge::render(&repo, at).unwrap());
    });
    let check = time("check (load, checks, tests)", || {
        let repo = Repository::load(&dir).unwrap();
        let report = tailgrant::pipeline::check(&repo, at);
        assert!(!report.has_errors(), "the benchmark repository has errors: {:?}", &report.findings[..1]);
    });
    let ratio = |d: Duration| d.as_secs_f64() / floor.as_secs_f64();
    println!("render / read+parse = {:.2}x (target <= 2x)", ratio(render));
    println!("check  / read+parse = {:.2}x (target <= 3x)", ratio(check));
    let ratio_kept = |d: Duration| d.as_secs_f64() / kept.as_secs_f64();
    println!("render / read+parse with trees kept = {:.2}x, check = {:.2}x", ratio_kept(render), ratio_kept(check));

    // The ratios above divide medians taken seconds apart; on a shared machine the speed drifts
    // between them. Alternating the floor with the stage and dividing each pair cancels that.
    let read_parse = || {
        for f in &files {
            std::hint::black_box(tailgrant::parse::parse(&std::fs::read(f).unwrap()).unwrap());
        }
    };
    let paired_render = paired(read_parse, || {
        let repo = Repository::load(&dir).unwrap();
        std::hint::black_box(tailgrant::merge::render(&repo, at).unwrap());
    });
    let paired_check = paired(read_parse, || {
        let repo = Repository::load(&dir).unwrap();
        std::hint::black_box(tailgrant::pipeline::check(&repo, at));
    });
    println!("paired: render / read+parse = {paired_render}, check / read+parse = {paired_check}");
}

/// Runs `floor` and `stage` alternately (at least 16 pairs or 4 s), each first in every other
/// pair so that neither gains from following the other, and summarises the ratios of each
/// pair: median, and the middle half's range.
fn paired(mut floor: impl FnMut(), mut stage: impl FnMut()) -> String {
    let timed = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed().as_secs_f64()
    };
    let mut ratios = Vec::new();
    let start = Instant::now();
    while ratios.len() < 16 || (start.elapsed() < Duration::from_secs(4) && ratios.len() < 200) {
        let (f, s) = if ratios.len() % 2 == 0 {
            (timed(&mut floor), timed(&mut stage))
        } else {
            let s = timed(&mut stage);
            (timed(&mut floor), s)
        };
        ratios.push(s / f);
    }
    ratios.sort_by(f64::total_cmp);
    let q = |p: usize| ratios[(ratios.len() - 1) * p / 100];
    format!("{:.2}x (middle half {:.2}-{:.2}x, {} pairs)", q(50), q(25), q(75), ratios.len())
}

/// The files `check` reads: config, base and fragments.
fn files(dir: &Path) -> Vec<PathBuf> {
    let repo = Repository::load(dir).expect("a policies directory");
    let mut out = vec![dir.join(&repo.config.base)];
    if dir.join(load::CONFIG_FILE).exists() {
        out.push(dir.join(load::CONFIG_FILE));
    }
    let mut findings = Vec::new();
    out.extend(
        load::discover(dir, &repo.config, &[load::CONFIG_FILE, &repo.config.base], &mut findings)
            .into_iter()
            .map(|r| dir.join(r)),
    );
    out
}

/// Runs `f` until at least 2 s or 5 runs have passed; prints and returns the median.
fn time(name: &str, mut f: impl FnMut()) -> Duration {
    f(); // warm the page cache
    let mut runs = Vec::new();
    let start = Instant::now();
    while runs.len() < 5 || (start.elapsed() < Duration::from_secs(2) && runs.len() < 200) {
        let t = Instant::now();
        f();
        runs.push(t.elapsed());
    }
    runs.sort();
    let median = runs[runs.len() / 2];
    println!("{name:32} {:>9.2} ms  (median of {})", median.as_secs_f64() * 1e3, runs.len());
    median
}
