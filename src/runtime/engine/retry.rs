//! Retries: a constant wait for a single `backoff` duration, and
//! exponential backoff with full jitter for a range, from a seedable source
//! of randomness so that tests are deterministic.

use std::time::Duration;

use crate::ir::Backoff;

/// SplitMix64: small, fast and good enough for jitter (not for secrets).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The wait before retry `retry` (from 1), but at least what the worker
/// asked for. A single duration (`backoff: 2s`, whose first wait is its
/// cap) is waited every time, as written; a range waits a random time
/// between zero and `min(cap, first * 2^(retry-1))` (full jitter), so that
/// many callers retrying together spread out.
pub fn delay(
    backoff: Backoff,
    retry: u32,
    retry_after: Option<Duration>,
    rng: &mut Rng,
) -> Duration {
    let wait = if backoff.first == backoff.cap {
        backoff.first
    } else {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = backoff.first.saturating_mul(factor).min(backoff.cap);
        ceiling.mul_f64(rng.unit())
    };
    wait.max(retry_after.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_under_the_exponential_ceiling_and_the_cap() {
        let backoff = Backoff {
            first: Duration::from_millis(100),
            cap: Duration::from_millis(1000),
        };
        let mut rng = Rng::new(7);
        let mut seen_nonzero = false;
        for retry in 1..=8 {
            let ceiling = Duration::from_millis((100u64 << (retry - 1)).min(1000));
            for _ in 0..50 {
                let d = delay(backoff, retry, None, &mut rng);
                assert!(d <= ceiling, "retry {retry}: {d:?} > {ceiling:?}");
                seen_nonzero |= d > Duration::ZERO;
            }
        }
        assert!(seen_nonzero);
        let asked = Duration::from_secs(3);
        assert_eq!(delay(backoff, 1, Some(asked), &mut rng), asked);
    }

    #[test]
    fn a_single_duration_is_waited_every_time() {
        let two = Duration::from_secs(2);
        let backoff = Backoff {
            first: two,
            cap: two,
        };
        for seed in [0, 1, 42, u64::MAX] {
            let mut rng = Rng::new(seed);
            let delays: Vec<Duration> = (1..=6)
                .map(|retry| delay(backoff, retry, None, &mut rng))
                .collect();
            assert_eq!(delays, vec![two; 6], "seed {seed}");
        }
        let zero = Backoff {
            first: Duration::ZERO,
            cap: Duration::ZERO,
        };
        assert_eq!(delay(zero, 3, None, &mut Rng::new(9)), Duration::ZERO);
        // What the worker asked for still wins when it is longer.
        let asked = Duration::from_secs(5);
        assert_eq!(delay(backoff, 1, Some(asked), &mut Rng::new(3)), asked);
    }

    #[test]
    fn a_range_is_jittered_within_its_bounds() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            cap: Duration::from_secs(30),
        };
        let mut rng = Rng::new(11);
        let delays: Vec<Duration> = (0..200)
            .map(|i| delay(backoff, 1 + i % 8, None, &mut rng))
            .collect();
        assert!(delays.iter().all(|d| *d <= backoff.cap));
        let distinct: std::collections::HashSet<_> = delays.iter().collect();
        assert!(distinct.len() > 100, "{} distinct delays", distinct.len());
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let backoff = Backoff {
            first: Duration::from_millis(10),
            cap: Duration::from_secs(1),
        };
        let (mut a, mut b) = (Rng::new(42), Rng::new(42));
        for retry in 1..10 {
            assert_eq!(
                delay(backoff, retry, None, &mut a),
                delay(backoff, retry, None, &mut b)
            );
        }
    }
}
