//! Exact Euclidean distance transform against brute force, and the distance field.

use kestrel::mapping::{BinaryGrid, Cell, DistanceField, DistanceTransform, GridGeometry, GridMap};
use nalgebra::{Point2, Vector2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn brute_force(map: &BinaryGrid) -> Vec<f64> {
    let (w, h) = (map.width(), map.height());
    let obstacles: Vec<(i64, i64)> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| map.is_blocked(x, y))
        .map(|(x, y)| (x as i64, y as i64))
        .collect();
    (0..h)
        .flat_map(|y| (0..w).map(move |x| (x as i64, y as i64)))
        .map(|(x, y)| {
            obstacles
                .iter()
                .map(|&(ox, oy)| ((x - ox).pow(2) + (y - oy).pow(2)) as f64)
                .fold(f64::INFINITY, f64::min)
        })
        .collect()
}

#[test]
fn equals_brute_force_on_random_grids() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut dt = DistanceTransform::new();
    let mut out = Vec::new();
    for case in 0..120 {
        let w = rng.random_range(1..40);
        let h = rng.random_range(1..40);
        // Densities from empty to nearly full, including single obstacles.
        let density = [0.0, 0.002, 0.02, 0.1, 0.4, 0.9][case % 6];
        let blocked = (0..w * h).map(|_| rng.random::<f64>() < density).collect();
        let map = BinaryGrid::from_vec(w, h, blocked).unwrap();
        dt.squared_distances(&map, &mut out);
        let expected = brute_force(&map);
        assert_eq!(out, expected, "case {case}: {w} x {h}, density {density}");
    }
}

#[test]
fn field_interpolates_and_has_the_right_gradient() {
    // One obstacle at cell (0, 0) of a 20 x 20 grid with 0.1 m cells: at cell centres the
    // distance is 0.1 |(i, j)|; between centres it is bilinear.
    let mut map = BinaryGrid::new(20, 20).unwrap();
    map.set_blocked(0, 0, true);
    let geometry = GridGeometry::new(20, 20, 0.1, Vector2::new(1.0, 2.0), 0.0).unwrap();
    let field = DistanceField::from_map(geometry, &map).unwrap();
    assert!((field.distance(Cell::new(3, 4)).unwrap() - 0.5).abs() < 1e-12);
    // Halfway between the centres of (3, 4) and (4, 4) (0.5 and 0.1 sqrt 32).
    let p = Point2::new(1.0 + 0.4, 2.0 + 0.45);
    let d = field.distance_at(&p).unwrap();
    let d44 = 0.1 * 32f64.sqrt();
    assert!((d - 0.5 * (0.5 + d44)).abs() < 1e-12);
    // Finite differences of the interpolant, inside a cell (away from its kinks).
    let p = Point2::new(1.4123, 2.4371);
    let (_, grad) = field.distance_and_gradient_at(&p).unwrap();
    let e = 1e-6;
    let fd_x = (field.distance_at(&Point2::new(p.x + e, p.y)).unwrap()
        - field.distance_at(&Point2::new(p.x - e, p.y)).unwrap())
        / (2.0 * e);
    let fd_y = (field.distance_at(&Point2::new(p.x, p.y + e)).unwrap()
        - field.distance_at(&Point2::new(p.x, p.y - e)).unwrap())
        / (2.0 * e);
    assert!(
        (grad.x - fd_x).abs() < 1e-6 && (grad.y - fd_y).abs() < 1e-6,
        "{grad:?} vs {fd_x}, {fd_y}"
    );
    assert!(field.distance_at(&Point2::new(0.0, 0.0)).is_none());
    // No obstacle at all: infinite distances, no interpolated value.
    let empty = BinaryGrid::new(3, 3).unwrap();
    let geometry = GridGeometry::new(3, 3, 1.0, Vector2::zeros(), 0.0).unwrap();
    let field = DistanceField::from_map(geometry, &empty).unwrap();
    assert!(field.as_slice().iter().all(|d| d.is_infinite()));
    assert!(field.distance_at(&Point2::new(1.5, 1.5)).is_none());
}
