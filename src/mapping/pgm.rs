//! Netpbm greyscale images (PGM, binary `P5` and plain `P2`), 8-bit.

use super::MappingError;

/// An 8-bit greyscale image, row-major from the top-left pixel (as stored in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Largest grey value (`maxval`) declared in the file, 1..=255.
    pub max_value: u8,
    /// `width * height` pixels, top row first.
    pub pixels: Vec<u8>,
}

/// Header tokens with their (line, column) from 1.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    col: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    fn err(&self, msg: impl Into<String>) -> MappingError {
        MappingError::parse(self.name, self.line, self.col, msg)
    }

    fn bump(&mut self) {
        if self.bytes[self.pos] == b'\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        self.pos += 1;
    }

    /// Skips whitespace and `#` comments.
    fn skip_space(&mut self) {
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'#' => {
                    while self.pos < self.bytes.len() && self.bytes[self.pos] != b'\n' {
                        self.bump();
                    }
                }
                c if c.is_ascii_whitespace() => self.bump(),
                _ => break,
            }
        }
    }

    /// The next decimal number, after whitespace and comments.
    fn number(&mut self, what: &str) -> Result<usize, MappingError> {
        self.skip_space();
        let (line, col) = (self.line, self.col);
        let start = self.pos;
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
            self.bump();
        }
        if start == self.pos {
            return Err(if self.pos >= self.bytes.len() {
                self.err(format!("unexpected end of file, expected {what}"))
            } else {
                self.err(format!(
                    "expected {what}, found {:?}",
                    self.bytes[self.pos] as char
                ))
            });
        }
        std::str::from_utf8(&self.bytes[start..self.pos])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .ok_or_else(|| {
                MappingError::parse(self.name, line, col, format!("{what} is too large"))
            })
    }
}

impl GrayImage {
    /// Parses a PGM file's bytes (`P5` binary or `P2` plain, `maxval` up to 255). `name` is used
    /// in error messages.
    ///
    /// # Errors
    /// [`MappingError::Parse`] with the line and column of the first problem (for the pixel
    /// data of a `P5` file: line 0 and the byte offset from 1).
    pub fn from_pgm_bytes(bytes: &[u8], name: &str) -> Result<Self, MappingError> {
        let mut c = Cursor {
            bytes,
            pos: 0,
            line: 1,
            col: 1,
            name,
        };
        let binary = match bytes.get(..2) {
            Some(b"P5") => true,
            Some(b"P2") => false,
            _ => return Err(c.err("not a PGM file (expected magic number P5 or P2)")),
        };
        c.bump();
        c.bump();
        let width = c.number("width")?;
        let height = c.number("height")?;
        let (mv_line, mv_col) = (c.line, c.col);
        let max_value = c.number("maxval")?;
        if !(1..=255).contains(&max_value) {
            return Err(MappingError::parse(
                name,
                mv_line,
                mv_col,
                format!("maxval {max_value} is not supported (only 8-bit images, 1..=255)"),
            ));
        }
        let n = width
            .checked_mul(height)
            .filter(|&n| n <= bytes.len())
            .ok_or_else(|| {
                c.err(format!(
                    "image of {width} x {height} pixels is larger than the file ({} bytes)",
                    bytes.len()
                ))
            })?;
        let mut pixels = Vec::with_capacity(n);
        if binary {
            // Exactly one whitespace byte separates the header from the data.
            if c.pos >= bytes.len() || !bytes[c.pos].is_ascii_whitespace() {
                return Err(c.err("expected a whitespace byte before the pixel data"));
            }
            let start = c.pos + 1;
            let data = &bytes[start.min(bytes.len())..];
            if data.len() < n {
                return Err(MappingError::parse(
                    name,
                    0,
                    bytes.len() + 1,
                    format!("expected {n} bytes of pixel data, found {}", data.len()),
                ));
            }
            if let Some(i) = data[..n].iter().position(|&p| usize::from(p) > max_value) {
                return Err(MappingError::parse(
                    name,
                    0,
                    start + i + 1,
                    format!("pixel value {} exceeds maxval {max_value}", data[i]),
                ));
            }
            pixels.extend_from_slice(&data[..n]);
        } else {
            for _ in 0..n {
                c.skip_space();
                let (line, col) = (c.line, c.col);
                let v = c.number("pixel value")?;
                if v > max_value {
                    return Err(MappingError::parse(
                        name,
                        line,
                        col,
                        format!("pixel value {v} exceeds maxval {max_value}"),
                    ));
                }
                pixels.push(v as u8);
            }
        }
        Ok(GrayImage {
            width,
            height,
            max_value: max_value as u8,
            pixels,
        })
    }

    /// The image as a binary (`P5`) PGM file with `maxval` 255 and an optional comment line.
    pub fn to_pgm_bytes(&self, comment: Option<&str>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pixels.len() + 64);
        out.extend_from_slice(b"P5\n");
        if let Some(c) = comment {
            out.extend_from_slice(b"# ");
            out.extend(c.bytes().filter(|&b| b != b'\n' && b != b'\r'));
            out.push(b'\n');
        }
        out.extend_from_slice(
            format!("{} {}\n{}\n", self.width, self.height, self.max_value).as_bytes(),
        );
        out.extend_from_slice(&self.pixels);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_binary_agree_and_errors_have_positions() {
        let plain =
            GrayImage::from_pgm_bytes(b"P2\n# c\n3 2\n255\n0 205 254\n1 2 3\n", "a").unwrap();
        let binary = GrayImage::from_pgm_bytes(&plain.to_pgm_bytes(Some("x")), "b").unwrap();
        assert_eq!(plain, binary);
        assert_eq!(plain.pixels, [0, 205, 254, 1, 2, 3]);
        match GrayImage::from_pgm_bytes(b"P2\n3 2\n255\n0 205 x\n", "c") {
            Err(MappingError::Parse { line, column, .. }) => assert_eq!((line, column), (4, 7)),
            other => panic!("{other:?}"),
        }
        match GrayImage::from_pgm_bytes(b"P5\n2 2\n255\n\x01\x02", "d") {
            Err(MappingError::Parse { line, .. }) => assert_eq!(line, 0),
            other => panic!("{other:?}"),
        }
        assert!(GrayImage::from_pgm_bytes(b"P6\n", "e").is_err());
        assert!(GrayImage::from_pgm_bytes(b"P5 2 2 65535\n", "f").is_err());
    }
}
