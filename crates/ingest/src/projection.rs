//! EPSG:2180 ("ETRS89 / Poland CS92", PUWG 1992) ⇄ geographic lon/lat: the transverse
//! Mercator projection on the GRS80 ellipsoid by the Krüger series to the sixth order in the
//! third flattening (Karney 2011, "Transverse Mercator with an accuracy of a few
//! nanometres"; the same series as PROJ's `tmerc`), exact to well below a millimetre over
//! Poland. ETRS89 and WGS84 differ by decimetres, far below what maps and neighbours need,
//! so lon/lat here is taken as WGS84, as GUGiK and PROJ's default pipeline do.

/// GRS80 semi-major axis (m) and flattening.
const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_222_101;
/// PUWG 1992: central meridian 19°E, scale 0.9993, false easting 500 km, false northing −5300 km.
const LON0: f64 = 19.0;
const K0: f64 = 0.9993;
const FE: f64 = 500_000.0;
const FN: f64 = -5_300_000.0;

struct Series {
    e: f64,
    /// A·k0: the rectifying radius scaled.
    ak0: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
}

fn series() -> Series {
    let n = F / (2.0 - F);
    let (n2, n3) = (n * n, n * n * n);
    let (n4, n5, n6) = (n3 * n, n3 * n2, n3 * n3);
    let a_rect = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0 - 127.0 * n5 / 288.0 + 7891.0 * n6 / 37800.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0 + 281.0 * n5 / 630.0 - 1_983_433.0 * n6 / 1_935_360.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0 + 15061.0 * n5 / 26880.0 + 167_603.0 * n6 / 181_440.0,
        49561.0 * n4 / 161_280.0 - 179.0 * n5 / 168.0 + 6_601_661.0 * n6 / 7_257_600.0,
        34729.0 * n5 / 80640.0 - 3_418_889.0 * n6 / 1_995_840.0,
        212_378_941.0 * n6 / 319_334_400.0,
    ];
    let beta = [
        n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0 - 81.0 * n5 / 512.0 + 96199.0 * n6 / 604_800.0,
        n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0 + 46.0 * n5 / 105.0 - 1_118_711.0 * n6 / 3_870_720.0,
        17.0 * n3 / 480.0 - 37.0 * n4 / 840.0 - 209.0 * n5 / 4480.0 + 5569.0 * n6 / 90720.0,
        4397.0 * n4 / 161_280.0 - 11.0 * n5 / 504.0 - 830_251.0 * n6 / 7_257_600.0,
        4583.0 * n5 / 161_280.0 - 108_847.0 * n6 / 3_991_680.0,
        20_648_693.0 * n6 / 638_668_800.0,
    ];
    Series { e: (F * (2.0 - F)).sqrt(), ak0: a_rect * K0, alpha, beta }
}

/// tan of the conformal latitude from tan of the geodetic latitude.
fn conformal_tan(tau: f64, e: f64) -> f64 {
    let sigma = (e * (e * tau / (1.0 + tau * tau).sqrt()).atanh()).sinh();
    tau * (1.0 + sigma * sigma).sqrt() - sigma * (1.0 + tau * tau).sqrt()
}

/// Geographic (lon, lat in degrees) → PUWG 1992 (easting x, northing y in metres).
pub fn to_puwg1992(lon: f64, lat: f64) -> (f64, f64) {
    let s = series();
    let lam = (lon - LON0).to_radians();
    let tau_p = conformal_tan(lat.to_radians().tan(), s.e);
    let xi_p = tau_p.atan2(lam.cos());
    let eta_p = (lam.sin() / (tau_p * tau_p + lam.cos() * lam.cos()).sqrt()).asinh();
    let (mut xi, mut eta) = (xi_p, eta_p);
    for (j, a) in s.alpha.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
        eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
    }
    (FE + s.ak0 * eta, FN + s.ak0 * xi)
}

/// PUWG 1992 (easting x, northing y in metres) → geographic (lon, lat in degrees).
pub fn from_puwg1992(x: f64, y: f64) -> (f64, f64) {
    let s = series();
    let xi = (y - FN) / s.ak0;
    let eta = (x - FE) / s.ak0;
    let (mut xi_p, mut eta_p) = (xi, eta);
    for (j, b) in s.beta.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi_p -= b * (k * xi).sin() * (k * eta).cosh();
        eta_p -= b * (k * xi).cos() * (k * eta).sinh();
    }
    let tau_p = xi_p.sin() / (eta_p.sinh().powi(2) + xi_p.cos().powi(2)).sqrt();
    let lam = eta_p.sinh().atan2(xi_p.cos());
    // Newton's method for the geodetic latitude (converges in 2–3 steps).
    let e2 = s.e * s.e;
    let mut tau = tau_p;
    for _ in 0..6 {
        let t = conformal_tan(tau, s.e);
        let d = (tau_p - t) / (1.0 + t * t).sqrt() * (1.0 + (1.0 - e2) * tau * tau) / ((1.0 - e2) * (1.0 + tau * tau).sqrt());
        tau += d;
        if d.abs() < 1e-14 {
            break;
        }
    }
    (LON0 + lam.to_degrees(), tau.atan().to_degrees())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference points from an independent implementation, PROJ 9.5.1 through pyproj 3.7.2:
    /// `python3 -c "from pyproj import Transformer; t=Transformer.from_crs('EPSG:4326','EPSG:2180',always_xy=True); print(t.transform(lon, lat))"`
    const REFERENCE: [(f64, f64, f64, f64); 8] = [
        (19.0, 52.0, 500000.0000, 459309.2094),
        (21.0122, 52.2297, 637382.2044, 486757.2095),
        (19.945, 50.0647, 567613.6193, 244587.5312),
        (14.1229, 52.8, 171391.0864, 559418.6768),
        (24.1458, 50.8697, 861881.3305, 346264.9367),
        (18.6466, 54.352, 477037.5994, 720936.5209),
        (16.0, 49.0, 280652.1491, 130162.6745),
        (23.0, 54.8, 756998.0816, 778049.0197),
    ];

    /// Metres between two lon/lat points (locally flat: fine at these distances).
    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        let dy = (a.1 - b.1) * 111_320.0;
        let dx = (a.0 - b.0) * 111_320.0 * a.1.to_radians().cos();
        (dx * dx + dy * dy).sqrt()
    }

    #[test]
    fn forward_matches_proj_to_a_centimetre() {
        for (lon, lat, x, y) in REFERENCE {
            let (px, py) = to_puwg1992(lon, lat);
            assert!((px - x).abs() < 0.01 && (py - y).abs() < 0.01, "({lon}, {lat}): ({px}, {py}) vs PROJ ({x}, {y})");
        }
    }

    #[test]
    fn inverse_matches_proj_to_a_centimetre() {
        for (lon, lat, x, y) in REFERENCE {
            let p = from_puwg1992(x, y);
            assert!(metres(p, (lon, lat)) < 0.01, "({x}, {y}) → {p:?}, PROJ says ({lon}, {lat})");
        }
    }

    #[test]
    fn round_trip_over_poland_is_sub_millimetre() {
        for i in 0..=20 {
            for j in 0..=20 {
                let (lon, lat) = (14.0 + 10.5 * i as f64 / 20.0, 49.0 + 6.0 * j as f64 / 20.0);
                let (x, y) = to_puwg1992(lon, lat);
                assert!(metres(from_puwg1992(x, y), (lon, lat)) < 0.001, "({lon}, {lat})");
            }
        }
    }
}
