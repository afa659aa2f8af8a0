//! Map files: ROS map_server PGM + YAML (round trips, thresholds, errors with positions) and
//! Moving AI `.map` / `.scen` parsing.

use std::path::PathBuf;

use kestrel::mapping::{
    parse_scenarios, Cell, GrayImage, GridGeometry, GridMap, MapMode, MappingError, MovingAiMap,
    OccupancyGrid, OccupancyParams, RosMap,
};
use nalgebra::{Point2, Vector2};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mapping")
        .join(name)
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn parse_error(e: MappingError) -> (usize, usize, String) {
    match e {
        MappingError::Parse {
            line,
            column,
            message,
            ..
        } => (line, column, message),
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn map_saver_fixture_loads_with_map_server_semantics() {
    let map = RosMap::load(fixture("small_map.yaml")).unwrap();
    assert_eq!((map.geometry.width(), map.geometry.height()), (5, 4));
    assert_eq!(map.geometry.resolution(), 0.05);
    assert_eq!(map.geometry.origin(), Vector2::new(-1.0, -2.5));
    assert_eq!(map.mode, MapMode::Trinary);
    // Image rows top to bottom; grid rows bottom to top. 254 -> 0 (free), 0 -> 100, 205 -> -1.
    #[rustfmt::skip]
    let expected: [i8; 20] = [
        100, 0, 0, 0, -1, // image row 3 (bottom)
        0, 0, 100, 0, 0, // image row 2
        0, 100, 100, 0, -1, // image row 1
        0, 0, 0, -1, -1, // image row 0 (top)
    ];
    assert_eq!(map.data, expected);
    // The lower-left pixel's corner is the origin: cell (0, 0) holds the point (-0.975, -2.475).
    let grid = map.to_occupancy_grid(OccupancyParams::default()).unwrap();
    assert_eq!(
        grid.geometry().world_to_cell(&Point2::new(-0.975, -2.475)),
        Cell::new(0, 0)
    );
    assert!(grid.probability(Cell::new(0, 0)).unwrap() > 0.9);
}

#[test]
fn pgm_and_yaml_round_trip_exactly() {
    let map = RosMap::load(fixture("small_map.yaml")).unwrap();
    let dir = temp_dir("roundtrip");
    let out = dir.join("copy.yaml");
    let mut copy = map.clone();
    copy.image = "copy.pgm".into();
    copy.save(&out).unwrap();
    let reloaded = RosMap::load(&out).unwrap();
    assert_eq!(reloaded, copy);
    // Pixel bytes identical to the map_saver file.
    let original =
        GrayImage::from_pgm_bytes(&std::fs::read(fixture("small_map.pgm")).unwrap(), "o").unwrap();
    let saved =
        GrayImage::from_pgm_bytes(&std::fs::read(dir.join("copy.pgm")).unwrap(), "s").unwrap();
    assert_eq!(saved, original);
    // Saving the reloaded map gives byte-identical files.
    let dir2 = temp_dir("roundtrip2");
    reloaded.save(dir2.join("copy.yaml")).unwrap();
    for f in ["copy.yaml", "copy.pgm"] {
        assert_eq!(
            std::fs::read(dir.join(f)).unwrap(),
            std::fs::read(dir2.join(f)).unwrap()
        );
    }
    std::fs::remove_dir_all(dir2).unwrap();
    // A trinary map with an awkward origin, resolution and yaw survives the files exactly.
    let geometry =
        GridGeometry::new(7, 3, 0.1 + 1e-13, Vector2::new(-3.3, 1.0 / 3.0), 0.25).unwrap();
    let values: Vec<i8> = (0..21).map(|i| [-1, 0, 100][i % 3]).collect();
    let ros = RosMap {
        geometry: geometry.clone(),
        data: values.clone(),
        image: "grid.pgm".into(),
        negate: false,
        occupied_thresh: 0.65,
        free_thresh: 0.196,
        mode: MapMode::Trinary,
    };
    ros.save(dir.join("grid.yaml")).unwrap();
    assert_eq!(RosMap::load(dir.join("grid.yaml")).unwrap(), ros);
    // Through an occupancy grid the values clamp to OctoMap's range (12 and 97 percent), and
    // the saved image is still the same.
    let grid =
        OccupancyGrid::from_ros_values(geometry, &values, OccupancyParams::default()).unwrap();
    let via_grid = RosMap::from_occupancy_grid(&grid, "grid.pgm");
    assert_eq!(via_grid.data[..3], [-1, 12, 97]);
    assert_eq!(via_grid.to_pgm(), ros.to_pgm());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn thresholds_negate_and_scale_follow_map_server() {
    // Shades 0, 100, 128, 205, 230, 255: occupancy (255 - s) / 255 = 1, .608, .498, .196, .098, 0.
    let pgm = b"P2\n6 1\n255\n0 100 128 205 230 255\n";
    let yaml = "image: m.pgm\nresolution: 1\norigin: [0, 0, 0]\n";
    let m = RosMap::from_parts(yaml, "m.yaml", pgm).unwrap();
    assert_eq!(m.data, [100, -1, -1, -1, 0, 0]);
    let scale = RosMap::from_parts(&format!("{yaml}mode: scale\n"), "m.yaml", pgm).unwrap();
    // 99 (p - 0.196) / (0.65 - 0.196): .6078 -> 89.85 -> 90; .498 -> 65.9 -> 66; .196078 -> 0.
    assert_eq!(scale.data, [100, 90, 66, 0, 0, 0]);
    let negated = RosMap::from_parts(&format!("{yaml}negate: 1\n"), "m.yaml", pgm).unwrap();
    // Occupancy s / 255: 0, .392, .502, .804, .902, 1.
    assert_eq!(negated.data, [0, -1, -1, 100, 100, 100]);
    let raw = RosMap::from_parts(
        &format!("{yaml}mode: raw\n"),
        "m.yaml",
        b"P2\n3 1\n255\n0 57 255\n",
    )
    .unwrap();
    assert_eq!(raw.data, [0, 57, -1]);
}

#[test]
fn malformed_map_files_report_line_and_column() {
    let pgm = b"P2\n1 1\n255\n0\n";
    let cases: [(&str, (usize, usize)); 6] = [
        (
            "image: m.pgm\nresolution: abc\norigin: [0, 0, 0]\n",
            (2, 13),
        ),
        ("image: m.pgm\nresolution: 0.1\norigin: [0, 0]\n", (3, 9)),
        (
            "image: m.pgm\nresolution: 0.1\n  colour: red\norigin: [0, 0, 0]\n",
            (3, 3),
        ),
        ("image: m.pgm\n# comment\nresolution 0.1\n", (3, 1)),
        (
            "image: m.pgm\nresolution: 0.1\norigin: [0, 0, 0]\nnegate: maybe\n",
            (4, 9),
        ),
        (
            "image: m.pgm\nresolution: 0.1\norigin: [0, 0, 0]\nmode: fancy\n",
            (4, 7),
        ),
    ];
    for (yaml, (line, column)) in cases {
        let (l, c, msg) = parse_error(RosMap::from_parts(yaml, "m.yaml", pgm).unwrap_err());
        assert_eq!((l, c), (line, column), "{yaml:?}: {msg}");
    }
    // Missing key and bad values.
    assert!(RosMap::from_parts("image: m.pgm\nresolution: 0.1\n", "m.yaml", pgm).is_err());
    assert!(matches!(
        RosMap::from_parts(
            "image: m.pgm\nresolution: -1\norigin: [0, 0, 0]\n",
            "m",
            pgm
        ),
        Err(MappingError::InvalidParameter { .. })
    ));
    // Malformed images.
    let yaml = "image: m.pgm\nresolution: 0.1\norigin: [0, 0, 0]\n";
    let (l, c, _) =
        parse_error(RosMap::from_parts(yaml, "m", b"P2\n2 1\n255\n0 300\n").unwrap_err());
    assert_eq!((l, c), (4, 3));
    let (l, _, _) = parse_error(RosMap::from_parts(yaml, "m", b"P5\n2 2\n255\n\x00").unwrap_err());
    assert_eq!(l, 0);
    assert!(RosMap::from_parts(yaml, "m", b"GIF89a").is_err());
    assert!(matches!(
        RosMap::load("/nonexistent/map.yaml"),
        Err(MappingError::Io { .. })
    ));
}

#[test]
fn moving_ai_maps_and_scenarios() {
    let text = "type octile\nheight 3\nwidth 4\nmap\n.@..\nTG.S\n..WO\n";
    let map = MovingAiMap::parse(text, "t.map").unwrap();
    let blocked: Vec<bool> = (0..3)
        .flat_map(|y| (0..4).map(move |x| (x, y)))
        .map(|(x, y)| map.is_blocked(x, y))
        .collect();
    #[rustfmt::skip]
    assert_eq!(blocked, [
        false, true, false, false,
        true, false, false, false,
        false, false, true, true,
    ]);
    // Windows line endings are fine.
    assert_eq!(
        MovingAiMap::parse(&text.replace('\n', "\r\n"), "t.map").unwrap(),
        map
    );

    let bad: [(&str, (usize, usize)); 6] = [
        (
            "type octile\nheight 3\nwidth 4\nmap\n.@..\nTG.S\n..WX\n",
            (7, 4),
        ),
        (
            "type octile\nheight 3\nwidth 4\nmap\n.@..\nTG.\n..WO\n",
            (6, 4),
        ),
        (
            "type octile\nheight 3\nwidth 4\nmap\n.@..\nTG.S..\n..WO\n",
            (6, 5),
        ),
        ("type octile\nheight 3\nwidth 4\nmap\n.@..\nTG.S\n", (7, 1)),
        ("type octile\nheight x\nwidth 4\nmap\n", (2, 8)),
        ("type octile\nwidth 4\nheight 3\nmap\n", (2, 1)),
    ];
    for (text, pos) in bad {
        let (l, c, msg) = parse_error(MovingAiMap::parse(text, "t.map").unwrap_err());
        assert_eq!((l, c), pos, "{text:?}: {msg}");
    }
    // Empty maps are errors.
    assert!(MovingAiMap::parse("type octile\nheight 0\nwidth 4\nmap\n", "t").is_err());

    let scen = "version 1\n0\tt.map\t4\t3\t0\t0\t3\t1\t3.41421356\n\n1\tt.map\t4\t3\t2\t0\t0\t2\t2.82842712\n";
    let q = parse_scenarios(scen, "t.scen").unwrap();
    assert_eq!(q.len(), 2);
    assert_eq!((q[1].bucket, q[1].start, q[1].goal), (1, (2, 0), (0, 2)));
    assert!((q[0].optimal_length - 3.41421356).abs() < 1e-12);
    let (l, c, _) = parse_error(
        parse_scenarios("version 1\n0\tt.map\t4\t3\t0\tz\t3\t1\t3.4\n", "s").unwrap_err(),
    );
    assert_eq!((l, c), (2, 15));
    let (l, _, _) = parse_error(parse_scenarios("version 1\n0\tt.map\t4\n", "s").unwrap_err());
    assert_eq!(l, 2);
    assert!(parse_scenarios("0\tt.map\t4\t3\t0\t0\t3\t1\t3.4\n", "s").is_err());
}
