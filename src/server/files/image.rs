//! An attached picture: recognised from its bytes (PNG, JPEG, WebP, GIF),
//! decoded under the avatar pipeline's limits (`limits.max-avatar-pixels`
//! and the memory that takes), turned upright from its EXIF orientation,
//! and re-encoded: a JPEG as a JPEG, anything else as a PNG. Nothing of
//! the upload survives but its pixels: no EXIF (GPS position included),
//! no comments, no trailing bytes. A thumbnail at most 400×300 is made
//! from the same pixels. A GIF keeps its first frame.
//!
//! A file that is not such a picture, or is too big to decode within the
//! limits, is not an image here: it is attached as a plain file.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader};

use crate::server::media;

/// The box a thumbnail fits in.
pub const THUMB_WIDTH: u32 = 400;
pub const THUMB_HEIGHT: u32 = 300;
const JPEG_QUALITY: u8 = 85;

/// A picture re-encoded, with its thumbnail.
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
    pub thumb: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

/// `bytes` as a picture, or `None` when they are not one Hearth shows
/// (not PNG, JPEG, WebP or GIF, damaged, or over the limits). Blocking.
pub fn picture(bytes: &[u8], max_pixels: u32) -> Option<Picture> {
    let format = media::accepted_format(bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(media::decode_limits(max_pixels));
    let mut decoder = reader.into_decoder().ok()?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).ok()?;
    image.apply_orientation(orientation);
    let (as_jpeg, content_type) = match format {
        ImageFormat::Jpeg => (true, "image/jpeg"),
        _ => (false, "image/png"),
    };
    let bytes = encode(&image, as_jpeg)?;
    let thumb_image = if image.width() <= THUMB_WIDTH && image.height() <= THUMB_HEIGHT {
        image.clone()
    } else {
        image.thumbnail(THUMB_WIDTH, THUMB_HEIGHT)
    };
    // A thumbnail without transparency is a JPEG, smaller to send.
    let thumb = encode(&thumb_image, as_jpeg || !thumb_image.color().has_alpha())?;
    Some(Picture {
        bytes,
        content_type,
        width: image.width(),
        height: image.height(),
        thumb,
        thumb_width: thumb_image.width(),
        thumb_height: thumb_image.height(),
    })
}

fn encode(image: &DynamicImage, as_jpeg: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let done = if as_jpeg {
        let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
        rgb.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
    } else {
        image.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
    };
    match done {
        Ok(()) => Some(out),
        Err(e) => {
            tracing::error!(error = %e, "encoding an attached picture failed");
            None
        }
    }
}

/// The content type a thumbnail's bytes have.
pub fn thumb_type(bytes: &[u8]) -> &'static str {
    match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => "image/jpeg",
        _ => "image/png",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::new_rgba8(w, h)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn pictures_are_re_encoded_with_a_thumbnail_inside_the_box() {
        let p = picture(&png(1600, 900), 4096).unwrap();
        assert_eq!((p.width, p.height), (1600, 900));
        assert_eq!((p.thumb_width, p.thumb_height), (400, 225));
        assert_eq!(p.content_type, "image/png");
        assert_eq!(thumb_type(&p.thumb), "image/png", "transparency kept");
        let small = picture(&png(40, 30), 4096).unwrap();
        assert_eq!((small.thumb_width, small.thumb_height), (40, 30));
    }

    #[test]
    fn what_is_not_a_picture_within_limits_is_not_one() {
        assert!(picture(b"<svg onload=alert(1)>", 4096).is_none());
        assert!(picture(&png(5000, 10), 4096).is_none());
        let mut cut = png(100, 100);
        cut.truncate(cut.len() / 2);
        assert!(picture(&cut, 4096).is_none());
    }
}
