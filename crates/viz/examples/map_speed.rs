//! How fast a choropleth of 2,500 areas renders and how big it is: synthetic hexagons over
//! Poland's bounding box, prepared once, drawn many times. Run in release:
//! `cargo run --release -p viz --example map_speed`.

use std::time::Instant;

use viz::{Legend, MapArea, MapGeometry, Shape, choropleth, class_of, palette, quantile_breaks};

fn main() {
    let (cols, rows) = (50usize, 50usize);
    let (lon0, lat0, dlon, dlat) = (14.1, 49.0, 10.0 / cols as f64, 5.8 / rows as f64);
    let mut shapes = Vec::with_capacity(cols * rows);
    let mut values = Vec::with_capacity(cols * rows);
    for r in 0..rows {
        for c in 0..cols {
            let (cx, cy) = (lon0 + (c as f64 + if r % 2 == 1 { 0.5 } else { 0.0 }) * dlon, lat0 + r as f64 * dlat);
            // Forty points a ring, as a real outline after simplification might have.
            let ring: Vec<(f64, f64)> = (0..=40)
                .map(|i| f64::from(i % 40) * std::f64::consts::TAU / 40.0)
                .map(|a| (cx + 0.55 * dlon * a.cos(), cy + 0.6 * dlat * a.sin()))
                .collect();
            shapes.push(Shape { key: format!("{:07}", r * cols + c), polygons: vec![vec![ring]] });
            values.push(((r * 7 + c * 13) % 101) as f64 / 3.0);
        }
    }
    let t = Instant::now();
    let geom = MapGeometry::new(shapes, 640.0);
    let prepare = t.elapsed();
    let breaks = quantile_breaks(&values, 5);
    let classes: Vec<String> = (0..=breaks.len()).map(|i| format!("klasa {}", i + 1)).collect();
    let hrefs: Vec<String> = (0..geom.len()).map(|i| format!("/jst/{:07}?rok=2023", i)).collect();
    let labels: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("Gmina nr {i}: {v:.1} %")).collect();
    let areas: Vec<MapArea<'_>> = (0..geom.len())
        .map(|i| MapArea {
            shape: i,
            fill_class: (i % 97 != 0).then(|| class_of(values[i], &breaks)),
            href: &hrefs[i],
            label: &labels[i],
            selected: i == 1234,
        })
        .collect();
    let legend = Legend { title: "Udział, %", classes: &classes, no_data: "brak danych" };
    let svg = choropleth("mapa", "Mapa", "Opis", &geom, &areas, &legend, false);
    let runs: u32 = 200;
    let t = Instant::now();
    let mut bytes = 0;
    for _ in 0..runs {
        bytes += choropleth("mapa", "Mapa", "Opis", &geom, &areas, &legend, false).len();
    }
    let per = t.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
    let paths: usize = (0..geom.len()).map(|i| geom.path(i).len()).sum();
    println!("areas: {}, palette: {:?}", geom.len(), palette(classes.len(), false));
    println!("prepare (project + simplify): {:.1} ms", prepare.as_secs_f64() * 1e3);
    println!("render: {per:.0} µs per choropleth ({runs} runs, {} bytes each)", bytes / runs as usize);
    println!("svg: {} bytes ({} of them path data, {:.0} bytes an area)", svg.len(), paths, svg.len() as f64 / geom.len() as f64);
}
