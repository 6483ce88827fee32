//! What the benchmarks share: the repository's folder, the figures of a run (throughput, p50,
//! p99) with their medians over rounds, and how they are printed. Included by each benchmark
//! binary with `#[path]`.

use std::path::PathBuf;
use std::time::Duration;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Throughput and latency of one run.
pub struct Figures {
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: usize,
}

pub fn figures(mut latencies: Vec<Duration>, errors: usize, elapsed: Duration) -> Figures {
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        errors,
    }
}

/// The median of `values` (sorted in place).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The medians of several runs of one figure.
pub fn medians(runs: &[Figures]) -> Figures {
    let pick = |f: fn(&Figures) -> f64| median(&mut runs.iter().map(f).collect::<Vec<_>>());
    Figures {
        per_second: pick(|f| f.per_second),
        p50: Duration::from_secs_f64(pick(|f| f.p50.as_secs_f64())),
        p99: Duration::from_secs_f64(pick(|f| f.p99.as_secs_f64())),
        errors: runs.iter().map(|f| f.errors).sum(),
    }
}

pub fn print(label: &str, f: &Figures) {
    // pgbench reports a mean latency and no percentiles: its p50 column holds the mean.
    let p99 = if f.p99.is_zero() {
        "   n/a".to_owned()
    } else {
        format!("{:>6.2}", f.p99.as_secs_f64() * 1000.0)
    };
    println!(
        "  {label:<34} {:>9.0}/s   p50 {:>6.2} ms   p99 {p99} ms{}",
        f.per_second,
        f.p50.as_secs_f64() * 1000.0,
        if f.errors > 0 {
            format!("   ({} failed)", f.errors)
        } else {
            String::new()
        }
    );
}
