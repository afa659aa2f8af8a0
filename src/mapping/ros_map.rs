//! ROS `map_server` maps: a YAML description plus a PGM image.

use std::path::{Path, PathBuf};

use nalgebra::Vector2;

use super::grid::GridGeometry;
use super::occupancy::{OccupancyGrid, OccupancyParams};
use super::pgm::GrayImage;
use super::MappingError;

/// How image pixels become occupancy values (`mode` in the YAML file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapMode {
    /// Occupied (100), free (0) or unknown (-1), by the two thresholds.
    Trinary,
    /// As trinary, but values between the thresholds scale linearly to 0..=99.
    Scale,
    /// The pixel value is the occupancy value (0..=100, 255 unknown).
    Raw,
}

/// A `map_server` map: geometry, `nav_msgs/OccupancyGrid` values and the YAML settings.
///
/// YAML keys: `image` (path relative to the YAML file), `resolution` (metres per pixel),
/// `origin` (`[x, y, yaw]`, the pose of the lower-left pixel), `negate` (0/1), `occupied_thresh`
/// (default 0.65), `free_thresh` (default 0.196), `mode` (default trinary). Other keys are
/// rejected. A pixel of shade `s` has occupancy `p = (255 - s) / 255` (`s / 255` when
/// negated); trinary: `p > occupied_thresh` -> 100, `p < free_thresh` -> 0, else -1.
///
/// Saving writes the trinary convention of `map_saver`: 0 for occupied
/// (`value >= 100 occupied_thresh`), 254 for free (`0 <= value <= 100 free_thresh`), 205 for
/// the rest; with the default thresholds a trinary map and its files round-trip exactly.
///
/// ```
/// use kestrel::mapping::RosMap;
/// let yaml = "image: m.pgm\nresolution: 0.5\norigin: [-1.0, 2.0, 0.0]\nnegate: 0\n";
/// let pgm = b"P2\n2 2\n255\n0 254\n205 254\n";
/// let map = RosMap::from_parts(yaml, "m.yaml", pgm)?;
/// // Lower-left cell first: the bottom image row (205, 254) is row 0.
/// assert_eq!(map.data, [-1, 0, 100, 0]);
/// assert_eq!(map.geometry.origin().x, -1.0);
/// # Ok::<(), kestrel::mapping::MappingError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RosMap {
    /// Placement (resolution, origin, yaw) and size.
    pub geometry: GridGeometry,
    /// Occupancy values, row-major from the lower-left cell: -1 unknown, 0..=100 percent.
    pub data: Vec<i8>,
    /// Image file name as written in the YAML file.
    pub image: PathBuf,
    /// Whether black means free.
    pub negate: bool,
    /// Occupancy above which a pixel is occupied.
    pub occupied_thresh: f64,
    /// Occupancy below which a pixel is free.
    pub free_thresh: f64,
    /// Pixel interpretation.
    pub mode: MapMode,
}

struct Yaml {
    image: Option<String>,
    resolution: Option<f64>,
    origin: Option<[f64; 3]>,
    negate: bool,
    occupied_thresh: f64,
    free_thresh: f64,
    mode: MapMode,
}

fn parse_yaml(text: &str, name: &str) -> Result<Yaml, MappingError> {
    let mut y = Yaml {
        image: None,
        resolution: None,
        origin: None,
        negate: false,
        occupied_thresh: 0.65,
        free_thresh: 0.196,
        mode: MapMode::Trinary,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        // Comments start with '#' outside quotes (map files quote only the image path).
        let content = match raw.find(" #").or(if raw.trim_start().starts_with('#') {
            Some(0)
        } else {
            None
        }) {
            Some(k) => &raw[..k],
            None => raw,
        };
        if content.trim().is_empty() {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let Some(colon) = content.find(':') else {
            return Err(MappingError::parse(
                name,
                line,
                indent + 1,
                "expected `key: value`",
            ));
        };
        let key = content[..colon].trim();
        let value = content[colon + 1..].trim();
        let vcol =
            colon + 2 + (content[colon + 1..].len() - content[colon + 1..].trim_start().len());
        let err = |msg: String| MappingError::parse(name, line, vcol, msg);
        let float = |v: &str| -> Result<f64, MappingError> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| err(format!("expected a finite number for `{key}`, found {v:?}")))
        };
        match key {
            "image" => {
                let v = value.trim_matches(|c| c == '"' || c == '\'');
                if v.is_empty() {
                    return Err(err("`image` is empty".into()));
                }
                y.image = Some(v.to_string());
            }
            "resolution" => y.resolution = Some(float(value)?),
            "origin" => {
                let inner = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| err(format!("expected `[x, y, yaw]`, found {value:?}")))?;
                let parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                if parts.len() != 3 {
                    return Err(err(format!(
                        "`origin` needs 3 numbers, found {}",
                        parts.len()
                    )));
                }
                y.origin = Some([float(parts[0])?, float(parts[1])?, float(parts[2])?]);
            }
            "negate" => {
                y.negate = match value {
                    "0" | "false" | "False" => false,
                    "1" | "true" | "True" => true,
                    _ => return Err(err(format!("`negate` must be 0 or 1, found {value:?}"))),
                }
            }
            "occupied_thresh" => y.occupied_thresh = float(value)?,
            "free_thresh" => y.free_thresh = float(value)?,
            "mode" => {
                y.mode = match value.trim_matches(|c| c == '"' || c == '\'') {
                    "trinary" => MapMode::Trinary,
                    "scale" => MapMode::Scale,
                    "raw" => MapMode::Raw,
                    other => return Err(err(format!("unknown mode {other:?}"))),
                }
            }
            other => {
                return Err(MappingError::parse(
                    name,
                    line,
                    indent + 1,
                    format!("unknown key `{other}`"),
                ))
            }
        }
    }
    Ok(y)
}

impl RosMap {
    /// Loads a map from its YAML file (the image path is relative to the YAML file's folder).
    ///
    /// # Errors
    /// [`MappingError::Io`] when a file cannot be read; [`MappingError::Parse`] with line and
    /// column for a malformed YAML or PGM file; [`MappingError::InvalidParameter`] for bad values.
    pub fn load(yaml_path: impl AsRef<Path>) -> Result<Self, MappingError> {
        let yaml_path = yaml_path.as_ref();
        let text =
            std::fs::read_to_string(yaml_path).map_err(|e| MappingError::io(yaml_path, e))?;
        let name = yaml_path.display().to_string();
        let yaml = parse_yaml(&text, &name)?;
        let image = yaml
            .image
            .clone()
            .ok_or_else(|| MappingError::parse(&name, 1, 1, "missing key `image`"))?;
        let image_path = yaml_path.parent().unwrap_or(Path::new(".")).join(&image);
        let bytes = std::fs::read(&image_path).map_err(|e| MappingError::io(&image_path, e))?;
        let pgm = GrayImage::from_pgm_bytes(&bytes, &image_path.display().to_string())?;
        Self::build(yaml, &name, pgm)
    }

    /// A map from the YAML text and the PGM bytes it names; `name` appears in errors.
    ///
    /// # Errors
    /// As [`load`](Self::load), without the I/O.
    pub fn from_parts(yaml: &str, name: &str, pgm: &[u8]) -> Result<Self, MappingError> {
        let yaml = parse_yaml(yaml, name)?;
        let image_name = yaml.image.clone().unwrap_or_default();
        let pgm = GrayImage::from_pgm_bytes(pgm, &image_name)?;
        Self::build(yaml, name, pgm)
    }

    fn build(yaml: Yaml, name: &str, pgm: GrayImage) -> Result<Self, MappingError> {
        let missing = |key: &str| MappingError::parse(name, 1, 1, format!("missing key `{key}`"));
        let image = yaml.image.ok_or_else(|| missing("image"))?;
        let resolution = yaml.resolution.ok_or_else(|| missing("resolution"))?;
        let origin = yaml.origin.ok_or_else(|| missing("origin"))?;
        if !(0.0..=1.0).contains(&yaml.free_thresh)
            || !(0.0..=1.0).contains(&yaml.occupied_thresh)
            || yaml.free_thresh >= yaml.occupied_thresh
        {
            return Err(MappingError::invalid(
                "free_thresh/occupied_thresh",
                format!(
                    "need 0 <= free_thresh < occupied_thresh <= 1, got {} and {}",
                    yaml.free_thresh, yaml.occupied_thresh
                ),
            ));
        }
        let geometry = GridGeometry::new(
            pgm.width,
            pgm.height,
            resolution,
            Vector2::new(origin[0], origin[1]),
            origin[2],
        )?;
        let (w, h) = (pgm.width, pgm.height);
        let mut data = vec![-1i8; w * h];
        for row in 0..h {
            let y = h - 1 - row;
            for x in 0..w {
                let shade = pgm.pixels[row * w + x];
                // Scale to 0..=255 when maxval is not 255.
                let s = if pgm.max_value == 255 {
                    f64::from(shade)
                } else {
                    f64::from(shade) * 255.0 / f64::from(pgm.max_value)
                };
                let occ = if yaml.negate { s } else { 255.0 - s } / 255.0;
                data[y * w + x] = match yaml.mode {
                    MapMode::Raw => match shade {
                        0..=100 => shade as i8,
                        255 => -1,
                        _ => {
                            return Err(MappingError::parse(
                                &image,
                                0,
                                row * w + x + 1,
                                format!("raw pixel value {shade} is not in 0..=100 or 255"),
                            ))
                        }
                    },
                    _ if occ > yaml.occupied_thresh => 100,
                    _ if occ < yaml.free_thresh => 0,
                    MapMode::Trinary => -1,
                    MapMode::Scale => (99.0 * (occ - yaml.free_thresh)
                        / (yaml.occupied_thresh - yaml.free_thresh))
                        .round() as i8,
                };
            }
        }
        Ok(RosMap {
            geometry,
            data,
            image: PathBuf::from(image),
            negate: yaml.negate,
            occupied_thresh: yaml.occupied_thresh,
            free_thresh: yaml.free_thresh,
            mode: yaml.mode,
        })
    }

    /// A trinary map from an occupancy grid (values as [`OccupancyGrid::to_ros_values`]) with
    /// the `map_saver` defaults (thresholds 0.65 / 0.196, not negated).
    pub fn from_occupancy_grid(grid: &OccupancyGrid, image: impl Into<PathBuf>) -> Self {
        RosMap {
            geometry: grid.geometry().clone(),
            data: grid.to_ros_values(),
            image: image.into(),
            negate: false,
            occupied_thresh: 0.65,
            free_thresh: 0.196,
            mode: MapMode::Trinary,
        }
    }

    /// The map as an occupancy grid (probability = value / 100, unknown stays unknown).
    ///
    /// # Errors
    /// As [`OccupancyGrid::from_ros_values`].
    pub fn to_occupancy_grid(
        &self,
        params: OccupancyParams,
    ) -> Result<OccupancyGrid, MappingError> {
        OccupancyGrid::from_ros_values(self.geometry.clone(), &self.data, params)
    }

    /// The PGM image `map_saver` writes: top row first, 0 occupied, 254 free, 205 unknown.
    pub fn to_pgm(&self) -> GrayImage {
        let (w, h) = (self.geometry.width(), self.geometry.height());
        let occ = 100.0 * self.occupied_thresh;
        let free = 100.0 * self.free_thresh;
        let mut pixels = Vec::with_capacity(w * h);
        for row in 0..h {
            let y = h - 1 - row;
            for &v in &self.data[y * w..(y + 1) * w] {
                let v = f64::from(v);
                pixels.push(if !(0.0..=100.0).contains(&v) {
                    205
                } else if v >= occ {
                    0
                } else if v <= free {
                    254
                } else {
                    205
                });
            }
        }
        GrayImage {
            width: w,
            height: h,
            max_value: 255,
            pixels,
        }
    }

    /// The YAML text describing this map (numbers in shortest round-trip form, trinary mode).
    pub fn to_yaml(&self) -> String {
        let o = self.geometry.origin();
        format!(
            "image: {}\nmode: trinary\nresolution: {:?}\norigin: [{:?}, {:?}, {:?}]\nnegate: 0\noccupied_thresh: {:?}\nfree_thresh: {:?}\n",
            self.image.display(),
            self.geometry.resolution(),
            o.x,
            o.y,
            self.geometry.yaw(),
            self.occupied_thresh,
            self.free_thresh,
        )
    }

    /// Writes `<yaml_path>` and the image beside it, named by [`image`](Self::image) (relative
    /// to the YAML file's folder), as `map_saver` does: trinary, not negated.
    ///
    /// # Errors
    /// [`MappingError::Io`] when a file cannot be written.
    pub fn save(&self, yaml_path: impl AsRef<Path>) -> Result<(), MappingError> {
        let yaml_path = yaml_path.as_ref();
        let image_path = yaml_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&self.image);
        let comment = format!("CREATOR: kestrel {} m/pix", self.geometry.resolution());
        std::fs::write(&image_path, self.to_pgm().to_pgm_bytes(Some(&comment)))
            .map_err(|e| MappingError::io(&image_path, e))?;
        std::fs::write(yaml_path, self.to_yaml()).map_err(|e| MappingError::io(yaml_path, e))
    }
}
