//! SHA-512, as FIPS 180-4 specifies it: a streaming hasher for byte strings.
//!
//! It exists for [`super::sha512_crypt`] (the server takes no crypto crate),
//! so it hashes whole bytes only, not bit strings of any length, and makes no
//! attempt to wipe its state from memory or to resist side channels beyond
//! taking a time that depends only on the input's length.

/// SHA-512's block size in bytes.
const BLOCK: usize = 128;

/// The length of a digest in bytes.
pub const DIGEST_LEN: usize = 64;

/// FIPS 180-4, 4.2.3: the first 64 bits of the fractional parts of the cube
/// roots of the first eighty primes.
const K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];

/// FIPS 180-4, 5.3.5: the first 64 bits of the fractional parts of the
/// square roots of the first eight primes.
const INITIAL: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

/// A SHA-512 computation in progress: [`update`](Sha512::update) with the
/// message in as many pieces as convenient, then [`finish`](Sha512::finish).
pub struct Sha512 {
    state: [u64; 8],
    /// Bytes of the current, incomplete block.
    buffer: [u8; BLOCK],
    buffered: usize,
    /// Message length so far, in bytes.
    length: u128,
}

impl Default for Sha512 {
    fn default() -> Sha512 {
        Sha512 {
            state: INITIAL,
            buffer: [0; BLOCK],
            buffered: 0,
            length: 0,
        }
    }
}

impl Sha512 {
    /// The digest of `data`, in one call.
    pub fn digest(data: &[u8]) -> [u8; DIGEST_LEN] {
        let mut hasher = Sha512::default();
        hasher.update(data);
        hasher.finish()
    }

    /// Adds `data` to the message.
    pub fn update(&mut self, mut data: &[u8]) {
        self.length += data.len() as u128;
        if self.buffered > 0 {
            let take = data.len().min(BLOCK - self.buffered);
            self.buffer[self.buffered..self.buffered + take].copy_from_slice(&data[..take]);
            self.buffered += take;
            data = &data[take..];
            if self.buffered < BLOCK {
                return;
            }
            let block = self.buffer;
            self.compress(&block);
            self.buffered = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            self.compress(block.try_into().expect("a whole block"));
        }
        let rest = blocks.remainder();
        self.buffer[..rest.len()].copy_from_slice(rest);
        self.buffered = rest.len();
    }

    /// Pads the message (5.1.2) and returns its digest.
    pub fn finish(mut self) -> [u8; DIGEST_LEN] {
        let bits = self.length.wrapping_mul(8);
        // 0x80, zeros up to 16 bytes short of a block boundary, the length.
        let zeros = (BLOCK + BLOCK - 16 - 1 - self.buffered) % BLOCK;
        let mut padding = [0u8; 2 * BLOCK];
        padding[0] = 0x80;
        padding[1 + zeros..1 + zeros + 16].copy_from_slice(&bits.to_be_bytes());
        let length = self.length;
        self.update(&padding[..1 + zeros + 16]);
        debug_assert_eq!(self.buffered, 0);
        self.length = length;
        let mut digest = [0u8; DIGEST_LEN];
        for (bytes, word) in digest.chunks_exact_mut(8).zip(self.state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
        digest
    }

    /// The compression function (6.4.2) on one block.
    fn compress(&mut self, block: &[u8; BLOCK]) {
        let mut w = [0u64; 80];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(8)) {
            *word = u64::from_be_bytes(bytes.try_into().expect("eight bytes"));
        }
        for t in 16..80 {
            let s0 = w[t - 15].rotate_right(1) ^ w[t - 15].rotate_right(8) ^ (w[t - 15] >> 7);
            let s1 = w[t - 2].rotate_right(19) ^ w[t - 2].rotate_right(61) ^ (w[t - 2] >> 6);
            w[t] = w[t - 16]
                .wrapping_add(s0)
                .wrapping_add(w[t - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = self.state;
        for (k, w) in K.iter().zip(w) {
            let sigma1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
            let choice = (e & f) ^ (!e & g);
            let t1 = h
                .wrapping_add(sigma1)
                .wrapping_add(choice)
                .wrapping_add(*k)
                .wrapping_add(w);
            let sigma0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
            let majority = (a & b) ^ (a & c) ^ (b & c);
            let t2 = sigma0.wrapping_add(majority);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (word, new) in self.state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *word = word.wrapping_add(new);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(digest: [u8; DIGEST_LEN]) -> String {
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// FIPS 180-4's examples (NIST's "SHA512.pdf") and the empty message.
    #[test]
    fn the_nist_examples() {
        assert_eq!(
            hex(Sha512::digest(b"abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(
            hex(Sha512::digest(b"")),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
        let two_blocks = b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn\
                           hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        assert_eq!(
            hex(Sha512::digest(two_blocks)),
            "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018\
             501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"
        );
    }

    #[test]
    fn a_million_as_in_uneven_pieces() {
        let mut hasher = Sha512::default();
        let piece = [b'a'; 1000];
        let mut left = 1_000_000;
        // Pieces of 1..=1000 bytes exercise every buffer offset.
        for size in (1..=1000).cycle() {
            let size: usize = size.min(left);
            hasher.update(&piece[..size]);
            left -= size;
            if left == 0 {
                break;
            }
        }
        assert_eq!(
            hex(hasher.finish()),
            "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb\
             de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"
        );
    }

    /// 111 bytes still pad within their block, 112 spill into a second;
    /// the digests are openssl's, and each message goes in in two pieces.
    #[test]
    fn padding_at_the_block_boundary() {
        for (len, expected) in [
            (
                111,
                "9a2a120825c2319867758ec277924f6faa254968bf752046dacdd948d8ad299b\
                 10359fd04bfd7d3810b5fa1b16a294236138baff981cbb85248478053ac4d3dd",
            ),
            (
                112,
                "a3722b515ef40c910f2419f6e0da8ca51d410114ce6272faae64045f9e9f630e\
                 7fa8dd5a3243c9860b899d148c3da4bc0f9e07454542604d030bb55531fe0d5b",
            ),
        ] {
            let data = vec![b'x'; len];
            let mut hasher = Sha512::default();
            hasher.update(&data[..len / 2]);
            hasher.update(&data[len / 2..]);
            assert_eq!(hex(hasher.finish()), expected, "{len} bytes");
        }
    }
}
