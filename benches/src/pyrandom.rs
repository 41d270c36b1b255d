//! A re-implementation of CPython's `random.Random` (the Mersenne Twister
//! MT19937 and the methods `gen_corpus.py` calls), with the exact semantics
//! of CPython 3.11, so that the same seed gives the same draws.
//!
//! Only what the corpus generator uses is here: integer seeding,
//! `random()`, `getrandbits(k)`, `randrange(n)` / `randint(a, b)` (both on
//! top of the `getrandbits`-based `_randbelow`), `choice`, weighted
//! `choices(..., k=1)`, `uniform` and `expovariate`.

/// Number of 32-bit words in the Mersenne Twister state.
const N: usize = 624;
/// The twist offset.
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// CPython's `random.Random`, seeded with an integer.
///
/// ```
/// use ami_benches::pyrandom::PyRandom;
/// // python3 -c "import random; print(random.Random(1).random())"
/// assert_eq!(PyRandom::new(1).random(), 0.13436424411240122);
/// ```
#[derive(Clone)]
pub struct PyRandom {
    state: [u32; N],
    index: usize,
}

impl std::fmt::Debug for PyRandom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PyRandom")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl PyRandom {
    /// `random.Random(seed)` for a non-negative integer seed. (Python seeds
    /// with the absolute value of a negative integer: pass
    /// `seed.unsigned_abs()`.)
    #[must_use]
    pub fn new(seed: u64) -> Self {
        // CPython splits the seed into 32-bit words, least significant
        // first, and always uses at least one word (so 0 gives `[0]`).
        let low = seed as u32;
        let high = (seed >> 32) as u32;
        if high == 0 {
            Self::from_key(&[low])
        } else {
            Self::from_key(&[low, high])
        }
    }

    /// The reference `init_by_array` of MT19937, as CPython's `seed()` calls it.
    fn from_key(key: &[u32]) -> Self {
        let mut rng = Self::from_u32(19_650_218);
        let mt = &mut rng.state;
        let mut i = 1;
        let mut j = 0;
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1] ^ (mt[i - 1] >> 30);
            mt[i] = (mt[i] ^ prev.wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        rng
    }

    /// The reference `init_genrand`.
    fn from_u32(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1] ^ (state[i - 1] >> 30);
            state[i] = 1_812_433_253u32.wrapping_mul(prev).wrapping_add(i as u32);
        }
        Self { state, index: N }
    }

    /// Regenerates the whole state block.
    fn twist(&mut self) {
        let mt = &mut self.state;
        for k in 0..N {
            let y = (mt[k] & UPPER_MASK) | (mt[(k + 1) % N] & LOWER_MASK);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            mt[k] = mt[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.index = 0;
    }

    /// The next tempered 32-bit output (`genrand_uint32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^= y >> 18;
        y
    }

    /// `random()`: a float in `[0, 1)` with 53 random bits.
    pub fn random(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `getrandbits(k)` for `k <= 128`. Words are drawn least significant
    /// first; the last (most significant) one keeps its top bits only.
    ///
    /// # Panics
    ///
    /// If `k > 128` (Python would return a bigger integer).
    pub fn getrandbits(&mut self, k: u32) -> u128 {
        assert!(k <= 128, "getrandbits({k}) does not fit in u128");
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return u128::from(self.next_u32() >> (32 - k));
        }
        let mut out = 0u128;
        let mut left = k;
        let mut shift = 0;
        while left > 0 {
            let mut word = self.next_u32();
            if left < 32 {
                word >>= 32 - left;
            }
            out |= u128::from(word) << shift;
            shift += 32;
            left = left.saturating_sub(32);
        }
        out
    }

    /// `getrandbits(k)` for `k <= 64`.
    pub fn bits(&mut self, k: u32) -> u64 {
        assert!(k <= 64, "bits({k}) does not fit in u64");
        self.getrandbits(k) as u64
    }

    /// `_randbelow_with_getrandbits(n)`: uniform in `[0, n)` by rejection,
    /// drawing `n.bit_length()` bits at a time.
    ///
    /// # Panics
    ///
    /// If `n == 0` (Python raises).
    pub fn randbelow(&mut self, n: u64) -> u64 {
        assert!(n > 0, "randbelow(0)");
        let k = u64::BITS - n.leading_zeros();
        loop {
            let r = self.bits(k);
            if r < n {
                return r;
            }
        }
    }

    /// `randrange(n)`: uniform in `[0, n)`.
    pub fn randrange(&mut self, n: usize) -> usize {
        self.randbelow(n as u64) as usize
    }

    /// `randint(a, b)`: uniform in `[a, b]`, both ends included.
    ///
    /// # Panics
    ///
    /// If `a > b`.
    pub fn randint(&mut self, a: i64, b: i64) -> i64 {
        assert!(a <= b, "empty range for randint({a}, {b})");
        let width = (b - a + 1) as u64;
        a + self.randbelow(width) as i64
    }

    /// `choice(seq)`.
    ///
    /// # Panics
    ///
    /// If `seq` is empty.
    pub fn choice<'a, T>(&mut self, seq: &'a [T]) -> &'a T {
        &seq[self.randrange(seq.len())]
    }

    /// `choices(population, weights)[0]` with integer weights: one
    /// `random()` scaled by the total, located by `bisect_right` over the
    /// cumulative weights (searching at most up to the last index).
    /// Returns the chosen index.
    ///
    /// # Panics
    ///
    /// If `weights` is empty.
    pub fn choices_index(&mut self, weights: &[u32]) -> usize {
        assert!(!weights.is_empty(), "choices over nothing");
        let mut cum = Vec::with_capacity(weights.len());
        let mut total = 0u64;
        for &w in weights {
            total += u64::from(w);
            cum.push(total as f64);
        }
        let x = self.random() * total as f64;
        // bisect_right(cum, x, 0, len - 1)
        let hi = cum.len() - 1;
        cum[..hi].partition_point(|&c| c <= x)
    }

    /// `uniform(a, b)`: `a + (b - a) * random()`.
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.random()
    }

    /// `expovariate(lambd)`: `-log(1 - random()) / lambd`.
    pub fn expovariate(&mut self, lambd: f64) -> f64 {
        -(1.0 - self.random()).ln() / lambd
    }
}

#[cfg(test)]
mod tests {
    use super::PyRandom;

    // Known answers printed by CPython 3.11.7:
    //   r = random.Random(1)
    //   [r.random() for _ in range(3)], r.getrandbits(48), r.getrandbits(128),
    //   r.randint(2000000000, 9899999999)
    #[test]
    fn matches_cpython_seed_1() {
        let mut r = PyRandom::new(1);
        assert_eq!(r.random(), 0.134_364_244_112_401_22);
        assert_eq!(r.random(), 0.847_433_736_937_232_7);
        assert_eq!(r.random(), 0.763_774_618_976_614);
        assert_eq!(r.getrandbits(48), 33_188_307_809_340);
        assert_eq!(
            r.getrandbits(128),
            160_696_727_714_092_153_506_162_855_508_696_159_611
        );
        assert_eq!(r.randint(2_000_000_000, 9_899_999_999), 4_798_570_523);
    }

    // random.Random(0).random() and random.Random(2**40 + 5).random():
    // a zero seed is one word `[0]`, a seed above 2**32 two words.
    #[test]
    fn matches_cpython_zero_and_wide_seeds() {
        assert_eq!(PyRandom::new(0).random(), 0.844_421_851_525_048_1);
        assert_eq!(
            PyRandom::new((1 << 40) + 5).random(),
            0.504_380_297_041_844_3
        );
    }

    // r = random.Random(3); r.randrange(60), r.choice([10, 20, 30, 40, 50]),
    // r.choices("abcde", [40, 30, 10, 8, 12])[0], r.uniform(0, 5),
    // r.expovariate(400.0), r.randint(1000, 1099), r.getrandbits(12)
    #[test]
    fn matches_cpython_helpers_seed_3() {
        let mut r = PyRandom::new(3);
        assert_eq!(r.randrange(60), 15);
        assert_eq!(*r.choice(&[10, 20, 30, 40, 50]), 50);
        assert_eq!(r.choices_index(&[40, 30, 10, 8, 12]), 1);
        assert_eq!(r.uniform(0.0, 5.0), 1.849_775_832_740_396_4);
        assert_eq!(r.expovariate(400.0), 0.002_315_347_913_436_064_4);
        assert_eq!(r.randint(1000, 1099), 1080);
        assert_eq!(r.getrandbits(12), 2379);
    }

    #[test]
    fn getrandbits_zero_draws_nothing() {
        let mut a = PyRandom::new(9);
        let mut b = PyRandom::new(9);
        assert_eq!(a.getrandbits(0), 0);
        assert_eq!(a.next_u32(), b.next_u32());
    }
}
