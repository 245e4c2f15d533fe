//! Printable QR codes for one-code pay: the matrix from `qrcode` (error correction M, quiet
//! zone of 4 modules), drawn as a grayscale PNG (`png`) or as an SVG with a caption under it.

use juhe_domain::cashier::ports::QrImages;
use qrcode::{Color, EcLevel, QrCode};

/// Modules of white border the QR standard asks for.
const QUIET: usize = 4;
/// Largest PNG edge accepted, pixels (a big URL at a big scale would otherwise be huge).
const MAX_EDGE: usize = 4096;

#[derive(Clone, Copy, Debug, Default)]
pub struct QrRenderer;

/// The dark modules, row by row, with the quiet zone: `(edge, dark[y * edge + x])`.
fn modules(text: &str) -> Result<(usize, Vec<bool>), String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let width = code.width();
    let colors = code.to_colors();
    let edge = width + 2 * QUIET;
    let mut dark = vec![false; edge * edge];
    for (i, color) in colors.iter().enumerate() {
        let (x, y) = (i % width, i / width);
        dark[(y + QUIET) * edge + x + QUIET] = *color == Color::Dark;
    }
    Ok((edge, dark))
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

impl QrImages for QrRenderer {
    fn png(&self, text: &str, scale: u32) -> Result<Vec<u8>, String> {
        let (edge, dark) = modules(text)?;
        let scale = scale.max(1) as usize;
        let px = edge * scale;
        if px > MAX_EDGE {
            return Err(format!("QR image of {px} px is too large"));
        }
        let mut pixels = Vec::with_capacity(px * px);
        for y in 0..px {
            let row = (y / scale) * edge;
            pixels.extend((0..px).map(|x| if dark[row + x / scale] { 0u8 } else { 255u8 }));
        }
        let side = u32::try_from(px).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(out)
    }

    fn svg(&self, text: &str, caption: &str) -> Result<String, String> {
        let (edge, dark) = modules(text)?;
        let mut path = String::with_capacity(dark.len() * 4);
        for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
            path.push_str(&format!("M{} {}h1v1h-1z", i % edge, i / edge));
        }
        // The caption sits in a band under the code, in the same module units.
        let band = 6;
        let height = edge + band;
        let mid = edge as f32 / 2.0;
        let baseline = edge + band / 2 + 1;
        Ok(format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {edge} {height}" width="{w}" height="{h}" shape-rendering="crispEdges"><rect width="{edge}" height="{height}" fill="#fff"/><path fill="#000" d="{path}"/><text x="{mid}" y="{baseline}" text-anchor="middle" font-family="sans-serif" font-size="2.4" fill="#000">{caption}</text></svg>"##,
            w = edge * 10,
            h = height * 10,
            caption = escape(caption),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_svg() {
        let r = QrRenderer;
        let png = r.png("https://pay.example/cashier/abcdefghijklmnop", 4).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let svg = r.svg("https://pay.example/cashier/abcdefghijklmnop", "总店 <1号台>").unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("总店 &lt;1号台&gt;") && svg.contains("h1v1h-1z"));
        assert!(r.png(&"x".repeat(3000), 40).is_err());
    }
}
