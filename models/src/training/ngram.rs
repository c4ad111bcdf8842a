//! The n-gram baseline every model is measured against.
//!
//! Interpolated Witten-Bell smoothing over event tokens, backing off to an
//! add-one unigram: simple, strong on short patterns, and fitted in seconds.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Keys are already mixed 64-bit hashes; hashing them again is wasted time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Table<V> = HashMap<u64, V, BuildHasherDefault<PassThrough>>;

/// Counts of one context: how often it was seen, how many different tokens
/// followed, and the most frequent of them.
#[derive(Debug, Clone, Copy, Default)]
struct ContextCounts {
    total: u32,
    types: u32,
    best: u16,
    best_count: u32,
}

/// An n-gram model of event tokens.
pub struct NGram {
    order: usize,
    vocab: usize,
    unigram: Vec<u32>,
    tokens: u64,
    contexts: Table<ContextCounts>,
    continuations: Table<u32>,
}

fn mix(hash: u64, value: u64) -> u64 {
    let h = (hash ^ value).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    h ^ (h >> 29)
}

/// Hash of the context of length `len` ending just before `position`.
fn context_hash(tokens: &[u16], position: usize, len: usize) -> u64 {
    tokens[position - len..position]
        .iter()
        .fold(mix(0x51_7cc1_b727_220a, len as u64), |h, &t| {
            mix(h, u64::from(t))
        })
}

impl NGram {
    /// Fits a model of `order` (tokens of context plus one) on sequences of tokens below `vocab`.
    pub fn fit<'a>(
        order: usize,
        vocab: usize,
        sequences: impl IntoIterator<Item = &'a [u16]>,
    ) -> NGram {
        let mut model = NGram {
            order,
            vocab,
            unigram: vec![0; vocab],
            tokens: 0,
            contexts: Table::default(),
            continuations: Table::default(),
        };
        for tokens in sequences {
            for (position, &token) in tokens.iter().enumerate() {
                model.unigram[usize::from(token)] += 1;
                model.tokens += 1;
                for len in 1..order.min(position + 1) {
                    let context = context_hash(tokens, position, len);
                    let seen = model
                        .continuations
                        .entry(mix(context, u64::from(token)))
                        .or_insert(0);
                    *seen += 1;
                    let counts = model.contexts.entry(context).or_default();
                    counts.total += 1;
                    if *seen == 1 {
                        counts.types += 1;
                    }
                    if *seen > counts.best_count {
                        counts.best = token;
                        counts.best_count = *seen;
                    }
                }
            }
        }
        model
    }

    /// The probability of `tokens[position]` after the tokens before it.
    pub fn probability(&self, tokens: &[u16], position: usize) -> f64 {
        let token = tokens[position];
        let mut p = (f64::from(self.unigram[usize::from(token)]) + 1.0)
            / (self.tokens as f64 + self.vocab as f64);
        for len in 1..self.order.min(position + 1) {
            let context = context_hash(tokens, position, len);
            let Some(counts) = self.contexts.get(&context) else {
                break;
            };
            let seen = self
                .continuations
                .get(&mix(context, u64::from(token)))
                .copied()
                .unwrap_or(0);
            let (total, types) = (f64::from(counts.total), f64::from(counts.types));
            p = (f64::from(seen) + types * p) / (total + types);
        }
        p
    }

    /// The model's guess for `tokens[position]`: the most frequent follower of
    /// the longest context seen in training (the most frequent token if none).
    pub fn predict(&self, tokens: &[u16], position: usize) -> u16 {
        let mut guess = (0..self.vocab)
            .max_by_key(|&t| self.unigram[t])
            .unwrap_or(0) as u16;
        for len in 1..self.order.min(position + 1) {
            match self.contexts.get(&context_hash(tokens, position, len)) {
                Some(counts) => guess = counts.best,
                None => break,
            }
        }
        guess
    }

    /// Bits to code every token of `tokens` but the first, and how many of them
    /// [`predict`](NGram::predict) got right.
    pub fn score(&self, tokens: &[u16]) -> (f64, usize) {
        (1..tokens.len()).fold((0.0, 0), |(bits, correct), position| {
            (
                bits - self.probability(tokens, position).log2(),
                correct + usize::from(self.predict(tokens, position) == tokens[position]),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_sum_to_one_and_learn_patterns() {
        let sequence: Vec<u16> = (0..300).map(|i| [1, 2, 3, 1, 4][i % 5]).collect();
        let model = NGram::fit(4, 6, [sequence.as_slice()]);
        let context = [1u16, 2, 3, 1, 0];
        let total: f64 = (0..6u16)
            .map(|token| {
                let mut probe = context;
                probe[4] = token;
                model.probability(&probe, 4)
            })
            .sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        // After 2, 3, 1 comes 4 in this sequence.
        assert!(model.probability(&[2, 3, 1, 4], 3) > 0.9);
        let (bits, correct) = model.score(&sequence[..50]);
        assert!(bits / 49.0 < 0.5, "{bits}");
        assert!(correct >= 45, "{correct}");
    }
}
