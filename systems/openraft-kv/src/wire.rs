//! Frames on the wire and on disk: `[len: u32 BE][checksum: u32 BE][JSON]`.
//!
//! The checksum lets the log replay tell a torn or zeroed tail from a
//! whole record; on the wire it costs nothing and catches framing bugs.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest frame a reader accepts (a garbled length would otherwise
/// allocate without bound).
pub const FRAME_MAX: usize = 16 << 20;

/// Appends `value` as one frame to `buf`.
pub fn put<T: Serialize>(value: &T, buf: &mut Vec<u8>) {
    let body = serde_json::to_vec(value).expect("wire types serialise");
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&checksum(&body).to_be_bytes());
    buf.extend_from_slice(&body);
}

/// `value` as one frame.
pub fn frame<T: Serialize>(value: &T) -> Vec<u8> {
    let mut buf = Vec::new();
    put(value, &mut buf);
    buf
}

/// The frame at `at` in `bytes` and where the next starts; `None` for an
/// incomplete, corrupt or undecodable one.
pub fn get<T: DeserializeOwned>(bytes: &[u8], at: usize) -> Option<(T, usize)> {
    let header = bytes.get(at..at.checked_add(8)?)?;
    let len = u32::from_be_bytes(header[..4].try_into().ok()?) as usize;
    let sum = u32::from_be_bytes(header[4..].try_into().ok()?);
    let body = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
    if checksum(body) != sum {
        return None;
    }
    let value = serde_json::from_slice(body).ok()?;
    Some((value, at + 8 + len))
}

/// Reads one frame from a stream: `Ok(None)` at a clean end of stream.
pub async fn read<R, T>(read: &mut R) -> std::io::Result<Option<T>>
where
    R: AsyncRead + Unpin,
    T: DeserializeOwned,
{
    let mut header = [0u8; 8];
    match read.read_exact(&mut header).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let sum = u32::from_be_bytes(header[4..].try_into().expect("4 bytes"));
    if len > FRAME_MAX {
        return Err(std::io::Error::other(format!("frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    read.read_exact(&mut body).await?;
    if checksum(&body) != sum {
        return Err(std::io::Error::other("frame checksum mismatch"));
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(std::io::Error::other)
}

/// FNV-1a, 32 bits.
fn checksum(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_a_torn_tail_is_refused() {
        let mut buf = Vec::new();
        put(&"a", &mut buf);
        put(&42u64, &mut buf);
        let (a, next) = get::<String>(&buf, 0).unwrap();
        let (b, end) = get::<u64>(&buf, next).unwrap();
        assert_eq!((a.as_str(), b, end), ("a", 42, buf.len()));
        assert!(get::<u64>(&buf[..buf.len() - 1], next).is_none());
        let mut bad = buf.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert!(get::<u64>(&bad, next).is_none());
    }
}
