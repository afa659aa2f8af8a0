//! Moving AI grid benchmarks (Sturtevant, "Benchmarks for Grid-Based Pathfinding", 2012):
//! `.map` files and `.scen` scenario files.

use std::path::Path;

use super::grid::{GridMap, MAX_GRID_SIDE};
use super::MappingError;

/// A Moving AI `.map`: `type octile`, `height H`, `width W`, `map`, then `H` rows of `W`
/// characters. `.`, `G` and `S` are passable; `@`, `O`, `T` and `W` are not. Cell `(x, y)` is
/// character `x` of map row `y` (row 0 is the first row in the file).
///
/// ```
/// use kestrel::mapping::{GridMap, MovingAiMap};
/// let map = MovingAiMap::parse("type octile\nheight 2\nwidth 3\nmap\n..@\nT.G\n", "tiny.map")?;
/// assert_eq!((map.width(), map.height()), (3, 2));
/// assert!(map.is_blocked(2, 0) && map.is_blocked(0, 1) && !map.is_blocked(2, 1));
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovingAiMap {
    width: usize,
    height: usize,
    blocked: Vec<bool>,
}

/// Splits `text` into lines numbered from 1, dropping a trailing `\r`.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
}

impl MovingAiMap {
    /// Reads a `.map` file.
    ///
    /// # Errors
    /// [`MappingError::Io`] when the file cannot be read, otherwise as [`parse`](Self::parse).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, MappingError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| MappingError::io(path, e))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses the text of a `.map` file; `name` appears in errors.
    ///
    /// # Errors
    /// [`MappingError::Parse`] with the line and column of the first problem: a missing or
    /// malformed header line, a row of the wrong length, an unknown terrain character, missing
    /// rows, or an empty map (zero width or height).
    pub fn parse(text: &str, name: &str) -> Result<Self, MappingError> {
        let mut lines = numbered_lines(text);
        let mut last_line = 0;
        let mut header = |key: &str| -> Result<(usize, String), MappingError> {
            let (n, line) = lines.next().ok_or_else(|| {
                MappingError::parse(name, last_line + 1, 1, format!("missing `{key}` line"))
            })?;
            last_line = n;
            let mut parts = line.split_whitespace();
            if parts.next() != Some(key) {
                return Err(MappingError::parse(
                    name,
                    n,
                    1,
                    format!("expected `{key}`, found {line:?}"),
                ));
            }
            let value = parts.next().unwrap_or("").to_string();
            if parts.next().is_some() {
                return Err(MappingError::parse(
                    name,
                    n,
                    1,
                    format!("unexpected text after `{key}`"),
                ));
            }
            Ok((n, value))
        };
        let (type_line, kind) = header("type")?;
        let (height_line, height) = header("height")?;
        let (width_line, width) = header("width")?;
        header("map")?;
        if kind != "octile" {
            return Err(MappingError::parse(
                name,
                type_line,
                6,
                format!("unsupported map type {kind:?}"),
            ));
        }
        let size = |line: usize, key: &str, v: &str| -> Result<usize, MappingError> {
            v.parse::<usize>()
                .ok()
                .filter(|&s| s > 0 && s <= MAX_GRID_SIDE)
                .ok_or_else(|| {
                    MappingError::parse(
                        name,
                        line,
                        key.len() + 2,
                        format!("`{key}` must be a positive integer, found {v:?}"),
                    )
                })
        };
        let height = size(height_line, "height", &height)?;
        let width = size(width_line, "width", &width)?;
        let n = width
            .checked_mul(height)
            .filter(|&n| n <= text.len())
            .ok_or_else(|| MappingError::parse(name, 2, 1, "map is larger than the file"))?;
        let mut blocked = Vec::with_capacity(n);
        let mut lines = numbered_lines(text).skip(4);
        for row in 0..height {
            let (ln, line) = lines.next().ok_or_else(|| {
                MappingError::parse(
                    name,
                    5 + row,
                    1,
                    format!("missing map row {} of {height}", row + 1),
                )
            })?;
            let mut count = 0;
            for (col, c) in line.chars().enumerate() {
                if col >= width {
                    return Err(MappingError::parse(
                        name,
                        ln,
                        col + 1,
                        format!("row is longer than the width {width}"),
                    ));
                }
                blocked.push(match c {
                    '.' | 'G' | 'S' => false,
                    '@' | 'O' | 'T' | 'W' => true,
                    other => {
                        return Err(MappingError::parse(
                            name,
                            ln,
                            col + 1,
                            format!("unknown terrain {other:?}"),
                        ))
                    }
                });
                count += 1;
            }
            if count < width {
                return Err(MappingError::parse(
                    name,
                    ln,
                    count + 1,
                    format!("row has {count} cells, expected {width}"),
                ));
            }
        }
        if let Some((ln, line)) = lines.find(|(_, l)| !l.trim().is_empty()) {
            return Err(MappingError::parse(
                name,
                ln,
                1,
                format!("unexpected text after the map: {line:?}"),
            ));
        }
        Ok(MovingAiMap {
            width,
            height,
            blocked,
        })
    }

    /// Row-major blocked flags (row 0 = first map row of the file).
    pub fn as_slice(&self) -> &[bool] {
        &self.blocked
    }
}

impl GridMap for MovingAiMap {
    #[inline]
    fn width(&self) -> usize {
        self.width
    }
    #[inline]
    fn height(&self) -> usize {
        self.height
    }
    #[inline]
    fn is_blocked(&self, x: usize, y: usize) -> bool {
        self.blocked[y * self.width + x]
    }
}

/// One query of a `.scen` file.
#[derive(Debug, Clone, PartialEq)]
pub struct MovingAiQuery {
    /// Difficulty bucket.
    pub bucket: u32,
    /// Map file name.
    pub map: String,
    /// Map width the query was made for.
    pub map_width: usize,
    /// Map height the query was made for.
    pub map_height: usize,
    /// Start cell `(x, y)`.
    pub start: (usize, usize),
    /// Goal cell `(x, y)`.
    pub goal: (usize, usize),
    /// Optimal octile path length (straight moves 1, diagonal moves sqrt 2, no corner cutting).
    pub optimal_length: f64,
}

/// Reads a `.scen` file.
///
/// # Errors
/// [`MappingError::Io`] when the file cannot be read, otherwise as [`parse_scenarios`].
pub fn load_scenarios(path: impl AsRef<Path>) -> Result<Vec<MovingAiQuery>, MappingError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|e| MappingError::io(path, e))?;
    parse_scenarios(&text, &path.display().to_string())
}

/// Parses a `.scen` file: `version 1` (or `version 1.0`), then one query per line with nine
/// tab-separated fields: bucket, map, map width, map height, start x, start y, goal x, goal y,
/// optimal length. Blank lines are ignored.
///
/// ```
/// use kestrel::mapping::parse_scenarios;
/// let q = parse_scenarios("version 1\n0\tm.map\t4\t4\t0\t0\t3\t1\t3.41421356\n", "m.scen")?;
/// assert_eq!((q[0].start, q[0].goal), ((0, 0), (3, 1)));
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
///
/// # Errors
/// [`MappingError::Parse`] with the line and column (of the offending field) for a missing
/// version line, a wrong field count, or a field that does not parse.
pub fn parse_scenarios(text: &str, name: &str) -> Result<Vec<MovingAiQuery>, MappingError> {
    let mut lines = numbered_lines(text);
    match lines.next() {
        Some((_, l)) if matches!(l.split_whitespace().collect::<Vec<_>>()[..], ["version", v] if v.parse::<f64>().is_ok()) =>
            {}
        Some((n, l)) => {
            return Err(MappingError::parse(
                name,
                n,
                1,
                format!("expected `version 1`, found {l:?}"),
            ))
        }
        None => return Err(MappingError::parse(name, 1, 1, "empty scenario file")),
    }
    let mut out = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::with_capacity(9);
        let mut col = 1;
        for f in line.split('\t') {
            fields.push((col, f));
            col += f.chars().count() + 1;
        }
        if fields.len() != 9 {
            return Err(MappingError::parse(
                name,
                n,
                1,
                format!("expected 9 tab-separated fields, found {}", fields.len()),
            ));
        }
        let int = |k: usize| -> Result<usize, MappingError> {
            let (c, f) = fields[k];
            f.trim().parse::<usize>().map_err(|_| {
                MappingError::parse(name, n, c, format!("expected an integer, found {f:?}"))
            })
        };
        let (lc, lf) = fields[8];
        let optimal_length = lf
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| {
                MappingError::parse(name, n, lc, format!("expected a length, found {lf:?}"))
            })?;
        out.push(MovingAiQuery {
            bucket: int(0)? as u32,
            map: fields[1].1.to_string(),
            map_width: int(2)?,
            map_height: int(3)?,
            start: (int(4)?, int(5)?),
            goal: (int(6)?, int(7)?),
            optimal_length,
        });
    }
    Ok(out)
}
