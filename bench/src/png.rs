//! PNG pictures made on the spot for `upload_under_load`: RGB, with a
//! gradient under noise so they neither compress to nothing nor decode
//! for free, each one different (`seed`) so the server's content-addressed
//! store keeps every one.

use std::io::Write;

use flate2::Crc;
use flate2::write::ZlibEncoder;

pub fn picture(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    let mut noise = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            // xorshift64: cheap, and different for every picture.
            noise ^= noise << 13;
            noise ^= noise >> 7;
            noise ^= noise << 17;
            let jitter = (noise & 0x7) as u32;
            raw.push(((x * 255 / width + jitter) & 0xff) as u8);
            raw.push(((y * 255 / height + jitter) & 0xff) as u8);
            raw.push((((x + y) * 127 / (width + height) + jitter) & 0xff) as u8);
        }
    }
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(&raw).expect("compressing into memory");
    let data = z.finish().expect("compressing into memory");

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &data);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.sum().to_be_bytes());
}

#[cfg(test)]
mod tests {
    #[test]
    fn pictures_are_well_formed_and_differ() {
        let a = super::picture(64, 48, 1);
        let b = super::picture(64, 48, 2);
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&a[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(a[16..20].try_into().unwrap()), 64);
        assert!(a.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "IEND's CRC");
        assert_ne!(a, b);
    }
}
