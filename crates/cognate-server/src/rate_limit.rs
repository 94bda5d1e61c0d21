//! Rate limits for the operations anyone may call without AWS credentials (sign-up, sign-in,
//! codes, token calls): per client address, and per user name a request names. Refusals are
//! Cognito's TooManyRequestsException.

use std::net::IpAddr;
use std::num::NonZeroU32;

use cognate_core::{Error, Result};
use governor::{DefaultKeyedRateLimiter, Quota};

pub struct RateLimits {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_user: Option<DefaultKeyedRateLimiter<String>>,
}

/// Requests per second, with a burst of as many; zero turns the limit off.
fn limiter<K: std::hash::Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_second).map(|rate| governor::RateLimiter::keyed(Quota::per_second(rate)))
}

fn refused() -> Error {
    Error::TooManyRequests("Rate exceeded".into())
}

impl RateLimits {
    pub fn new(per_ip: u32, per_user: u32) -> Self {
        RateLimits {
            per_ip: limiter(per_ip),
            per_user: limiter(per_user),
        }
    }

    pub fn check_address(&self, address: IpAddr) -> Result<()> {
        match &self.per_ip {
            Some(limiter) if limiter.check_key(&address).is_err() => Err(refused()),
            _ => Ok(()),
        }
    }

    /// `client` and `username` as the request names them (case-folded: one person, one budget).
    pub fn check_user(&self, client: &str, username: &str) -> Result<()> {
        match &self.per_user {
            Some(limiter)
                if limiter
                    .check_key(&format!("{client}/{}", username.to_lowercase()))
                    .is_err() =>
            {
                Err(refused())
            }
            _ => Ok(()),
        }
    }

    /// Forgets keys that have not been limited lately, so that memory stays bounded.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_user {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_beyond_the_rate_is_refused_per_key() {
        let limits = RateLimits::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limits.check_address(a).unwrap();
        }
        assert_eq!(
            limits.check_address(a).unwrap_err().name(),
            "TooManyRequestsException"
        );
        limits
            .check_address(b)
            .expect("another address has its own budget");
        limits.check_user("c", "Alice").unwrap();
        limits.check_user("c", "alice").unwrap();
        assert!(
            limits.check_user("c", "ALICE").is_err(),
            "names are case-folded"
        );
        limits.check_user("c", "bob").unwrap();
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = RateLimits::new(0, 0);
        for _ in 0..1000 {
            limits.check_address("10.0.0.1".parse().unwrap()).unwrap();
            limits.check_user("c", "u").unwrap();
        }
    }
}
