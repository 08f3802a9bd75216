//! The checksum algorithms the S3 store can attach to uploads so that S3 verifies the bytes
//! it stores (`x-amz-checksum-*` headers).

use std::fmt;
use std::str::FromStr;

use ostore_core::{Error, Result};

use crate::STORE;

/// A checksum S3 computes over an upload and compares with the one sent.
///
/// `SHA256` is object_store's; `CRC64NVME` is ours (the algorithm S3 itself uses for full
/// object checksums, cheap to compute).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(clippy::upper_case_acronyms)]
pub enum Checksum {
    /// SHA-256, sent as `x-amz-checksum-sha256`.
    SHA256,
    /// CRC-64/NVME, sent as `x-amz-checksum-crc64nvme`.
    CRC64NVME,
}

impl Checksum {
    /// The name S3 uses in `x-amz-checksum-algorithm` / `x-amz-sdk-checksum-algorithm`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::SHA256 => "SHA256",
            Self::CRC64NVME => "CRC64NVME",
        }
    }

    /// The header carrying the checksum value.
    pub fn header_name(&self) -> &'static str {
        match self {
            Self::SHA256 => "x-amz-checksum-sha256",
            Self::CRC64NVME => "x-amz-checksum-crc64nvme",
        }
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SHA256 => "sha256",
            Self::CRC64NVME => "crc64nvme",
        })
    }
}

impl FromStr for Checksum {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sha256" | "sha-256" => Ok(Self::SHA256),
            "crc64nvme" | "crc64-nvme" => Ok(Self::CRC64NVME),
            other => Err(Error::generic(
                STORE,
                format!("unknown checksum algorithm {other:?} (expected sha256 or crc64nvme)"),
            )),
        }
    }
}

impl TryFrom<&String> for Checksum {
    type Error = Error;

    fn try_from(value: &String) -> Result<Self> {
        value.parse()
    }
}

/// A running CRC-64/NVME over a payload given chunk by chunk (SHA-256 comes from `sha2`).
pub(crate) struct Crc64Nvme(u64);

impl Crc64Nvme {
    pub(crate) fn new() -> Self {
        Self(!0)
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.0 = crc64nvme_update(self.0, bytes);
    }

    /// The big-endian checksum bytes (S3 wants them base64-encoded).
    pub(crate) fn finish(self) -> [u8; 8] {
        (!self.0).to_be_bytes()
    }
}

/// The reflected CRC-64/NVME polynomial.
const CRC64_NVME_POLY: u64 = 0x9a6c_9329_ac4b_c9b5;

/// Slice-by-8 tables: `TABLES[k][b]` is the CRC of byte `b` followed by `k` zero bytes.
static TABLES: [[u64; 256]; 8] = make_tables();

const fn make_tables() -> [[u64; 256]; 8] {
    let mut tables = [[0u64; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ CRC64_NVME_POLY
            } else {
                crc >> 1
            };
            bit += 1;
        }
        tables[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = tables[k - 1][b];
            tables[k][b] = (prev >> 8) ^ tables[0][(prev & 0xff) as usize];
            b += 1;
        }
        k += 1;
    }
    tables
}

/// Feeds `bytes` into a running (pre-inverted) CRC-64/NVME.
fn crc64nvme_update(mut crc: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = crc ^ u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        crc = TABLES[7][(word & 0xff) as usize]
            ^ TABLES[6][((word >> 8) & 0xff) as usize]
            ^ TABLES[5][((word >> 16) & 0xff) as usize]
            ^ TABLES[4][((word >> 24) & 0xff) as usize]
            ^ TABLES[3][((word >> 32) & 0xff) as usize]
            ^ TABLES[2][((word >> 40) & 0xff) as usize]
            ^ TABLES[1][((word >> 48) & 0xff) as usize]
            ^ TABLES[0][(word >> 56) as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ TABLES[0][((crc ^ u64::from(b)) & 0xff) as usize];
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc(bytes: &[u8]) -> u64 {
        let mut h = Crc64Nvme::new();
        h.update(bytes);
        u64::from_be_bytes(h.finish())
    }

    #[test]
    fn crc64nvme_check_value() {
        // The catalogue check value of CRC-64/NVME.
        assert_eq!(crc(b"123456789"), 0xae8b_1486_0a79_9888);
        assert_eq!(crc(b""), 0);
    }

    #[test]
    fn crc64nvme_chunking_does_not_matter() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let whole = crc(&data);
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let mut h = Crc64Nvme::new();
            h.update(&data[..split]);
            h.update(&data[split..]);
            assert_eq!(u64::from_be_bytes(h.finish()), whole);
        }
    }

    #[test]
    fn parse_and_display() {
        assert_eq!("SHA256".parse::<Checksum>().unwrap(), Checksum::SHA256);
        assert_eq!(
            "crc64nvme".parse::<Checksum>().unwrap(),
            Checksum::CRC64NVME
        );
        assert!("md5".parse::<Checksum>().is_err());
        assert_eq!(Checksum::SHA256.to_string(), "sha256");
    }
}
