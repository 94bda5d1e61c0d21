//! Throughput and latency of a run.

use serde_json::{json, Value};

/// What one run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub scenario: String,
    pub concurrency: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    /// Latencies of successful operations, in microseconds.
    pub latencies_us: Vec<u64>,
    pub first_error: Option<String>,
}

impl Report {
    pub fn rate(&self) -> f64 {
        (self.requests - self.errors) as f64 / self.seconds
    }

    /// The q-quantile of the latencies, in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index] as f64 / 1000.0
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario,
            "concurrency": self.concurrency,
            "seconds": self.seconds,
            "requests": self.requests,
            "errors": self.errors,
            "rate": self.rate(),
            "p50_ms": self.quantile_ms(0.50),
            "p99_ms": self.quantile_ms(0.99),
            "first_error": self.first_error,
        })
    }

    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}: {:.1} ops/s, p50 {:.2} ms, p99 {:.2} ms, {} ops, {} errors ({} connections, {:.1} s)",
            self.scenario,
            self.rate(),
            self.quantile_ms(0.50),
            self.quantile_ms(0.99),
            self.requests,
            self.errors,
            self.concurrency,
            self.seconds
        );
        if let Some(error) = &self.first_error {
            text.push_str(&format!("\n  first error: {error}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_and_rate_come_from_the_samples() {
        let report = Report {
            scenario: "x".into(),
            concurrency: 1,
            seconds: 2.0,
            requests: 101,
            errors: 1,
            latencies_us: (1..=100).map(|i| i * 1000).collect(),
            first_error: None,
        };
        assert_eq!(report.rate(), 50.0);
        assert_eq!(report.quantile_ms(0.5), 51.0);
        assert_eq!(report.quantile_ms(0.99), 99.0);
    }
}
