//! Product pictures for the demo catalog: real PNG files of the stated size, drawn
//! from a colour and a silhouette so that each product looks distinct.

/// What is drawn in the middle of the picture.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A shirt-like silhouette: body with sleeves.
    Garment,
    /// A disc (hats, lamps, bowls).
    Round,
    /// A tall rounded block (bags, bottles, vases).
    Tall,
    /// A wide low block (shoes, trays, cushions).
    Wide,
}

fn rgb(hue: f32, sat: f32, light: f32) -> [u8; 3] {
    let c = (1.0 - (2.0 * light - 1.0).abs()) * sat;
    let h = (hue % 360.0) / 60.0;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = light - c / 2.0;
    let to = |v: f32| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    [to(r), to(g), to(b)]
}

fn inside(shape: Shape, x: f32, y: f32) -> bool {
    // x, y in -1..1 from the centre.
    match shape {
        Shape::Garment => {
            let body = x.abs() < 0.38 && y > -0.45 && y < 0.6;
            let sleeves = y > -0.45 && y < -0.05 && x.abs() < 0.62 && (x.abs() - 0.38) < (y + 0.45);
            let collar = x.abs() < 0.12 && y < -0.38;
            (body || sleeves) && !collar
        }
        Shape::Round => x * x + y * y < 0.36,
        Shape::Tall => x.abs() < 0.3 && y.abs() < 0.55 && !(x.abs() > 0.2 && y.abs() > 0.45),
        Shape::Wide => x.abs() < 0.6 && y > -0.1 && y < 0.3,
    }
}

/// A `width` x `height` RGB PNG: a soft vertical gradient in the product's hue and
/// the silhouette in a deeper tone with a light stripe bands.
pub fn draw_png(width: u32, height: u32, hue: f32, shape: Shape) -> Vec<u8> {
    let top = rgb(hue, 0.35, 0.92);
    let bottom = rgb(hue, 0.30, 0.84);
    let ink = rgb(hue, 0.45, 0.42);
    let stripe = rgb(hue, 0.40, 0.50);
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    let scale = width.min(height) as f32 / 2.0;
    for py in 0..height {
        let t = py as f32 / height as f32;
        let bg: Vec<u8> = (0..3)
            .map(|i| (f32::from(top[i]) * (1.0 - t) + f32::from(bottom[i]) * t) as u8)
            .collect();
        for px in 0..width {
            let x = (px as f32 - width as f32 / 2.0) / scale;
            let y = (py as f32 - height as f32 / 2.0) / scale;
            let colour: &[u8] = if inside(shape, x, y) {
                if y > 0.0 && ((y * 10.0) as i32) % 3 == 0 {
                    &stripe
                } else {
                    &ink
                }
            } else {
                &bg
            };
            pixels.extend_from_slice(colour);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("in-memory PNG header");
        writer
            .write_image_data(&pixels)
            .expect("in-memory PNG data");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pngs_carry_the_requested_size() {
        let bytes = draw_png(120, 90, 200.0, Shape::Garment);
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (120, 90));
    }
}
