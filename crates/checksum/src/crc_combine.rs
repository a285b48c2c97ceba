//! Combining the CRCs of two adjacent byte ranges into the CRC of their concatenation, without
//! the bytes: `crc(A ‖ B)` from `crc(A)`, `crc(B)` and `len(B)`.
//!
//! Owns: polynomial arithmetic modulo a CRC's generator in the bit-reflected form all three of
//! S3's CRCs use. Must never see data bytes; [`crate::Hasher`] computes the CRCs themselves.
//!
//! Why it works: for CRCs with all-ones initial value and final XOR (CRC-32, CRC-32C,
//! CRC-64/NVME), `crc(A ‖ B) = crc(A) · x^(8·len(B)) mod P  ⊕  crc(B)`; the all-ones terms cancel.

/// A reflected CRC of width up to 64 bits.
#[derive(Clone, Copy)]
pub(crate) struct Crc {
    /// The generator polynomial, bit-reflected, without its x^width term.
    poly: u64,
    /// The bit that stands for x^0 in the reflected form: the top bit of the register.
    one: u64,
}

pub(crate) const CRC32: Crc = Crc::new(0xEDB8_8320, 32);
pub(crate) const CRC32C: Crc = Crc::new(0x82F6_3B78, 32);
pub(crate) const CRC64_NVME: Crc = Crc::new(0x9A6C_9329_AC4B_C9B5, 64);

impl Crc {
    const fn new(poly: u64, width: u32) -> Self {
        Crc {
            poly,
            one: 1 << (width - 1),
        }
    }

    /// `a · b mod P`, both in reflected form.
    pub(crate) fn mul(self, a: u64, mut b: u64) -> u64 {
        let mut product = 0;
        let mut bit = self.one;
        while bit != 0 {
            if a & bit != 0 {
                product ^= b;
            }
            // b · x: a right shift in the reflected form, reduced by P when x^width falls out.
            b = if b & 1 != 0 {
                (b >> 1) ^ self.poly
            } else {
                b >> 1
            };
            bit >>= 1;
        }
        product
    }

    /// `x^(8·len) mod P`, by square-and-multiply over the bits of `len`: the factor that shifts
    /// a CRC past `len` bytes. Parts of a multipart upload mostly share one length, so callers
    /// reuse it.
    pub(crate) fn x_pow_8n(self, mut len: u64) -> u64 {
        let mut result = self.one;
        // x^8: x^0 shifted right by eight places in the reflected form (no reduction yet for
        // widths above 8).
        let mut square = self.one >> 8;
        while len != 0 {
            if len & 1 != 0 {
                result = self.mul(result, square);
            }
            square = self.mul(square, square);
            len >>= 1;
        }
        result
    }

    /// The CRC of `A ‖ B` from `crc_a`, `crc_b` and the shift factor of `len(B)`
    /// ([`Crc::x_pow_8n`]).
    pub(crate) fn combine(self, crc_a: u64, crc_b: u64, shift_b: u64) -> u64 {
        self.mul(shift_b, crc_a) ^ crc_b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn crc32(data: &[u8]) -> u64 {
        u64::from(crc32fast::hash(data))
    }

    fn crc32c(data: &[u8]) -> u64 {
        u64::from(crc32c::crc32c(data))
    }

    fn crc64(data: &[u8]) -> u64 {
        let mut d = crc64fast_nvme::Digest::new();
        d.write(data);
        d.sum64()
    }

    type Reference = fn(&[u8]) -> u64;

    #[test]
    fn check_string_split_everywhere() {
        let data = b"123456789";
        let crcs: [(Crc, Reference); 3] = [(CRC32, crc32), (CRC32C, crc32c), (CRC64_NVME, crc64)];
        for (crc, f) in crcs {
            for cut in 0..=data.len() {
                let (a, b) = data.split_at(cut);
                let shift = crc.x_pow_8n(b.len() as u64);
                assert_eq!(crc.combine(f(a), f(b), shift), f(data), "cut {cut}");
            }
        }
    }

    proptest! {
        #[test]
        fn combine_equals_crc_of_concatenation(
            a in proptest::collection::vec(any::<u8>(), 0..600),
            b in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let whole = [a.as_slice(), b.as_slice()].concat();
            let len_b = b.len() as u64;
            let (s32, s32c, s64) = (CRC32.x_pow_8n(len_b), CRC32C.x_pow_8n(len_b), CRC64_NVME.x_pow_8n(len_b));
            prop_assert_eq!(CRC32.combine(crc32(&a), crc32(&b), s32), crc32(&whole));
            prop_assert_eq!(CRC32C.combine(crc32c(&a), crc32c(&b), s32c), crc32c(&whole));
            prop_assert_eq!(CRC64_NVME.combine(crc64(&a), crc64(&b), s64), crc64(&whole));
        }
    }

    #[test]
    fn long_second_part() {
        // Exercises many squarings: 5 MiB + 3 bytes of a repeating pattern.
        let b: Vec<u8> = (0..5 * 1024 * 1024 + 3).map(|i| (i % 251) as u8).collect();
        let a = b"prefix";
        let whole = [a.as_slice(), b.as_slice()].concat();
        let len = b.len() as u64;
        assert_eq!(
            CRC64_NVME.combine(crc64(a), crc64(&b), CRC64_NVME.x_pow_8n(len)),
            crc64(&whole)
        );
        assert_eq!(
            CRC32C.combine(crc32c(a), crc32c(&b), CRC32C.x_pow_8n(len)),
            crc32c(&whole)
        );
    }
}
