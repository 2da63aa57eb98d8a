// Random numbers that are the same on every platform and standard library: built on the raw
// output of std::mt19937_64 (which the standard fixes), never on std::*_distribution or
// std::shuffle (which it does not). Every seeded draw of the data goes through here. LibTorch-free.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace attnlab {

// A generator for one stream of a 64-bit seed, e.g. (seed, epoch) or (seed, split, example):
// different streams are independent, and each is fixed by its words alone.
inline std::mt19937_64 seeded_generator(uint64_t seed, std::initializer_list<uint32_t> stream) {
  std::vector<uint32_t> words{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  words.insert(words.end(), stream.begin(), stream.end());
  std::seed_seq seq(words.begin(), words.end());
  return std::mt19937_64(seq);
}

// A uniform double in [0, 1), from the top 53 bits of one draw.
inline double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// A standard normal number by Box-Muller (two draws; the sine half is not kept).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]: log(u1) is finite
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// SplitMix64 (Steele, Lea & Flood 2014): the next number of the stream `state` advances. Tiny
// and easy to port: environments draw their resets from it, so that a Python port of an
// environment (examples/python/rollout.py) starts its episodes where attnlab does.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Fisher-Yates shuffle in place.
template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i-- > 1;) std::swap(v[i], v[rng() % (i + 1)]);
}

}  // namespace attnlab
