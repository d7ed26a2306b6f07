//! The demo's synthetic numbers have the magnitudes of Polish local governments: the
//! demo is loaded, every indicator computed, and the median of the latest year (over the
//! gminy, or over the powiaty for indicators not computed for gminy) must lie in a
//! range written from what GUS BDL, the MF budget reports, SIO and CKE publish for
//! 2023–2024 — not from the demo's output. Shares must stay within 0–100 % for every
//! unit and year. A councillor who saw 80 pupils per class or a 140 % share would not
//! trust the portal, synthetic label or not.

use model::UnitKind;

/// Plausible range of the latest year's median, per indicator of the starter catalogue.
/// Magnitudes are for 2023–2024 (nominal zł) and the median gmina, which is rural more
/// often than not; the ranges are wide enough to hold both rural and urban medians.
const MEDIANS: &[(&str, f64, f64)] = &[
    // Education
    ("EDU_01", 15_000.0, 30_000.0), // dział 801 ≈ 2 k zł per capita (≈ 30 % of a gmina budget) over ≈ 8–9 % of the population in primary school
    ("EDU_02", 1_300.0, 3_200.0),   // MF Rb-28S: dział 801 in gminy ≈ 1.5–2.5 k zł per inhabitant in 2023–2024
    ("EDU_03", 9_000.0, 22_000.0),  // rozdział 80101 is ≈ 55–65 % of dział 801
    ("EDU_04", 13.0, 22.0),         // SIO: ≈ 15 pupils per class in rural schools, 20–24 in towns
    ("EDU_05", 7.0, 13.0),          // SIO: Polish primary schools have ≈ 9–11 pupils per teacher FTE
    ("EDU_06", 80.0, 300.0),        // SIO: rural primary schools ≈ 100–150 pupils, urban 300–500
    ("EDU_07", 80.0, 98.0),         // GUS: ≈ 90 % of children aged 3–5 in pre-school education (rural ≈ 85 %)
    ("EDU_08", 82.0, 99.0),         // GUS: ≈ 92 % of children aged 3–6 (the 6-year-olds' year is compulsory)
    ("EDU_09", 60.0, 110.0),        // SIO/GUS: ≈ 80–100 pre-school places per 100 children aged 3–6, fewer in the country
    ("EDU_10", 9_000.0, 25_000.0),  // pre-school cost ≈ 1–1.5 k zł per child a month (the basis of the dotacja per child)
    ("EDU_11", 40.0, 80.0),         // MF: the education subsidy covers ≈ 50–70 % of gmina spending in dział 801
    ("EDU_12", 40.0, 60.0),         // CKE 2024: mean score in mathematics 52 %, rural gminy a few points lower
    ("EDU_13", 52.0, 70.0),         // CKE 2024: mean score in Polish 61 %
    ("EDU_14", 50.0, 78.0),         // CKE 2024–2025: English ≈ 65–68 %, rural gminy ≈ 10 points lower
    ("EDU_15", 10_000.0, 24_000.0), // powiat spending on licea ≈ 13–17 k zł per pupil (subsidy standard ≈ 9–10 k zł)
    ("EDU_16", 11_000.0, 28_000.0), // technika cost more than licea: ≈ 15–20 k zł per pupil
    ("EDU_17", 11_000.0, 30_000.0), // szkoły branżowe ≈ 15–22 k zł per pupil
    ("EDU_18", 45.0, 80.0),         // SIO 2023/24: technika ≈ 0.62 M + branżowe ≈ 0.2 M of ≈ 1.4 M pupils ≈ 59 %
    ("EDU_19", 40.0, 110.0),        // ≈ 1.4 M secondary pupils / 1.9 M aged 15–19 ≈ 75 per 100; cities draw pupils from powiaty
    ("EDU_20", 150.0, 1_300.0),     // MF: ≈ 1.3 bn zł on school transport ≈ 430 zł per primary pupil, more in rural gminy
    // Social policy
    ("SPO_01", 20.0, 80.0),          // GUS P3870: ≈ 370 recipients of social assistance per 10 k nationally, more in rural gminy
    ("SPO_02", 250.0, 900.0),        // MF: dział 852 in gminy ≈ 400–600 zł per inhabitant
    ("SPO_03", 6_000.0, 25_000.0),   // SPO_02 over ≈ 3–5 % of the population receiving assistance
    ("SPO_04", 2_000.0, 8_000.0),    // the social assistance centre (85219) is ≈ a third of dział 852
    ("SPO_05", 8.0, 35.0),           // fees for residential care homes (85202) ≈ 15–25 % of dział 852
    ("SPO_06", 150.0, 700.0),        // dział 855 after 500+/800+ moved to ZUS: ≈ 300–500 zł per inhabitant
    ("SPO_07", 5.0, 30.0),           // GUS: ≈ 18 % of children under 3 in nurseries nationally, ≈ 10 % in rural gminy
    ("SPO_08", 8.0, 35.0),           // GUS: ≈ 600 k families with family allowances ≈ 16 per 1000 inhabitants, more in the country
    ("SPO_09", 5.0, 20.0),           // GUS 2023: ≈ 57 k children in family and ≈ 16 k in institutional care / 6.9 M aged 0–17 ≈ 10.6 ‰
    ("SPO_10", 60.0, 92.0),          // family foster care ≈ 78 % of children in foster care
    ("SPO_11", 12_000.0, 40_000.0),  // foster family benefits and costs ≈ 20–25 k zł per child a year
    ("SPO_12", 45_000.0, 130_000.0), // residential childcare ≈ 6–8 k zł per child a month
    ("SPO_13", 10.0, 60.0),          // GUS: ≈ 110 k places in residential care ≈ 29 per 10 k
    ("SPO_14", 8.0, 45.0),           // ≈ 110 k places / 5.2 M persons aged 70+ ≈ 21 per 1000
    ("SPO_15", 800.0, 5_000.0),      // PUP running costs (85333) ≈ 1.5 bn zł / 0.8 M registered unemployed ≈ 2 k zł
    ("SPO_16", 35.0, 65.0),          // MRPiPS 2023–2024: ≈ 45–55 % of the unemployed are long-term unemployed
    // Culture and recreation
    ("KUL_01", 90.0, 220.0),      // GUS: ≈ 150 library borrowers per 1000 inhabitants
    ("KUL_02", 2_000.0, 6_000.0), // GUS: ≈ 2.8 k volumes per 1000 nationally, rural libraries hold more per head
    ("KUL_03", 10.0, 25.0),       // GUS: ≈ 15–18 loans per borrower a year
    ("KUL_04", 2_000.0, 7_000.0), // GUS: ≈ 7.6 k library outlets, ≈ 5 k inhabitants per outlet, ≈ 3 k in rural gminy
    ("KUL_05", 120.0, 500.0),     // MF: dział 921 in gminy ≈ 200–350 zł per inhabitant
    ("KUL_06", 60.0, 350.0),      // MF: dział 926 in gminy ≈ 100–250 zł per inhabitant
    ("KUL_07", 30.0, 150.0),      // GUS: ≈ 250 k events of cultural centres ≈ 65 per 10 k inhabitants
    ("KUL_08", 400.0, 2_000.0),   // GUS: ≈ 35–40 M participants ≈ 1 000 per 1000 inhabitants
    ("KUL_09", 5.0, 30.0),        // GUS: ≈ 0.5 M members of circles and clubs ≈ 13 per 1000
    ("KUL_10", 50.0, 1_500.0),    // GUS: ≈ 40 M museum visits, ≈ 1 000 per 1000 nationally; most gminy have far fewer
    ("KUL_11", 100.0, 800.0),     // KUL_05 over ≈ 1 participant per inhabitant
    ("KUL_12", 120.0, 600.0),     // MF: libraries (92116) ≈ 35 zł per inhabitant / 0.15 borrowers per inhabitant
    ("KUL_13", 30.0, 200.0),      // MF: cultural centres (92109) ≈ 70–100 zł per inhabitant
    ("KUL_14", 2.0, 15.0),        // GUS K-07: ≈ 0.2 M members of artistic groups
    // Roads and transport
    ("TRA_01", 25.0, 90.0),          // GUS: ≈ 130 k km of hard-surfaced gmina roads on 312 k km² ≈ 40 per 100 km²
    ("TRA_02", 35.0, 85.0),          // GUS: about half to two thirds of gmina roads are hard-surfaced
    ("TRA_03", 1.0, 25.0),           // GUS: ≈ 20 k km of cycle paths ≈ 6 per 100 km², less in rural gminy
    ("TRA_04", 300.0, 1_200.0),      // MF: dział 600 in gminy ≈ 500–800 zł per inhabitant
    ("TRA_05", 35.0, 80.0),          // MF: investment is ≈ 50–65 % of gmina road spending
    ("TRA_06", 30_000.0, 400_000.0), // ≈ 5–10 M zł a year on ≈ 50–100 km of hard-surfaced roads in a rural gmina
    ("TRA_07", 30.0, 100.0),         // police: ≈ 20 k road accidents ≈ 50 per 100 k inhabitants (2023–2024)
    ("TRA_08", 550.0, 900.0),        // GUS: ≈ 700 passenger cars per 1000 inhabitants
    ("TRA_09", 20.0, 60.0),          // GUS: ≈ 110 k km of hard-surfaced powiat roads on 312 k km² ≈ 35 per 100 km²
    ("TRA_10", 15_000.0, 120_000.0), // MF: ≈ 5–6 bn zł on ≈ 110 k km of powiat roads ≈ 50 k zł per km
    ("TRA_11", 70.0, 450.0),         // the same ≈ 150–250 zł per inhabitant of a powiat ziemski
    ("TRA_12", 3.0, 120.0),          // MF: 60004 is mostly city spending; the median gmina ≈ 10–40 zł, many nothing
    ("TRA_13", 3.0, 15.0),           // police 2024: ≈ 1.9 k killed ≈ 5 per 100 k, ≈ 7–10 in rural powiaty
    // Environment and municipal services
    ("ENV_01", 80.0, 99.0),     // GUS: ≈ 92 % of the population uses the water supply network, ≈ 88 % in rural gminy
    ("ENV_02", 40.0, 85.0),     // GUS: ≈ 73 % use sewerage nationally, ≈ 45 % in rural gminy
    ("ENV_03", 50.0, 200.0),    // GUS: ≈ 320 k km of water network on 312 k km² ≈ 100 per 100 km²
    ("ENV_04", 20.0, 120.0),    // GUS: ≈ 180 k km of sewerage ≈ 55 per 100 km²
    ("ENV_05", 25.0, 90.0),     // sewerage ≈ 55 % of the water network's length nationally
    ("ENV_06", 40.0, 300.0),    // ≈ 27 M users over ≈ 180 k km ≈ 150 per km, 60–100 in rural gminy
    ("ENV_07", 200.0, 450.0),   // GUS: ≈ 360 kg of municipal waste per inhabitant, ≈ 250 kg in the country
    ("ENV_08", 25.0, 70.0),     // GUS: ≈ 40–50 % of municipal waste is collected separately
    ("ENV_09", 200.0, 600.0),   // MF: rozdział 90002 ≈ 300–450 zł per inhabitant (the waste fee pays for it)
    ("ENV_10", 70.0, 110.0),    // the waste fee must balance the system: ≈ 85–100 % of its cost
    ("ENV_11", 400.0, 1_600.0), // MF: dział 900 in gminy ≈ 700–1 200 zł per inhabitant
    ("ENV_12", 40.0, 90.0),     // GUS: ≈ 76 % served by treatment plants, ≈ 45–50 % in rural gminy
    ("ENV_13", 5.0, 60.0),      // GUS: ≈ 55 % use the gas network, ≈ 25 % in rural gminy, many none
    ("ENV_14", 10.0, 40.0),     // GUS: ≈ 3.5 M connections on ≈ 175 k km ≈ 20 per km
    ("ENV_15", 40.0, 400.0),    // MF: wastewater (90001) ≈ 15–25 % of dział 900 ≈ 100–200 zł
    ("ENV_16", 25.0, 180.0),    // MF: street lighting (90015) ≈ 60–90 zł per inhabitant
    // Housing and property
    ("MIE_01", 300.0, 480.0), // GUS: ≈ 410 dwellings per 1000 inhabitants, ≈ 350 in rural gminy
    ("MIE_02", 24.0, 40.0),   // GUS: ≈ 30 m² per person
    ("MIE_03", 60.0, 100.0),  // GUS: ≈ 74 m² per dwelling, ≈ 90 m² in rural gminy
    ("MIE_04", 2.0, 8.0),     // GUS: ≈ 200–230 k dwellings completed ≈ 5.5 per 1000, fewer in most gminy
    ("MIE_05", 3.0, 25.0),    // GUS: ≈ 0.55 M municipal dwellings ≈ 15 per 1000, ≈ 5–10 in rural gminy
    ("MIE_06", 1.0, 8.0),     // GUS: municipal dwellings ≈ 3.5 % of the stock
    ("MIE_07", 35.0, 55.0),   // GUS: a municipal dwelling ≈ 43 m²
    ("MIE_08", 50.0, 500.0),  // MF: dział 700 in gminy ≈ 100–300 zł per inhabitant
    ("MIE_09", 40.0, 400.0),  // MF: revenue from property ≈ 100–300 zł per inhabitant
    ("MIE_10", 2.2, 3.5),     // GUS: ≈ 2.45 persons per dwelling, ≈ 2.9 in rural gminy
    ("MIE_11", 1.0, 30.0),    // MF: housing allowances (85215) ≈ 13 zł per inhabitant, less in rural gminy
    ("MIE_12", 70.0, 150.0),  // GUS: a completed dwelling ≈ 88 m², ≈ 120 m² in rural gminy (houses)
    ("MIE_13", 5.0, 60.0),    // GUS PZP-1: ≈ 32 % of Poland covered by local plans
    // Finance
    ("FIN_01", 5_500.0, 10_000.0), // MF: gmina revenue ≈ 7–9 k zł per inhabitant in 2024
    ("FIN_02", 2_000.0, 5_500.0),  // own revenue ≈ 35–55 % of it
    ("FIN_03", 30.0, 65.0),        // MF: own revenue ≈ 35–40 % in rural gminy, ≈ 55 % in towns
    ("FIN_04", 35.0, 70.0),        // MF: general subsidy + grants ≈ 45–65 % of gmina revenue
    ("FIN_05", 400.0, 1_800.0),    // MF: PIT and CIT shares ≈ 700–1 000 zł per inhabitant after the 2022 PIT reform
    ("FIN_06", 250.0, 900.0),      // MF: property tax ≈ 400–700 zł per inhabitant
    ("FIN_07", 5_500.0, 10_500.0), // MF: gmina expenditure ≈ 7–9 k zł per inhabitant in 2024
    ("FIN_08", 10.0, 30.0),        // MF: investment ≈ 15–25 % of gmina expenditure
    ("FIN_09", 700.0, 2_500.0),    // FIN_07 × FIN_08
    ("FIN_10", 100.0, 900.0),      // operating surplus ≈ 3–10 % of current revenue
    ("FIN_11", 2.0, 12.0),         // the same as a share of current revenue
    ("FIN_12", -800.0, 300.0),     // gminy ran small deficits in 2023–2024 (a few % of revenue)
    ("FIN_13", 700.0, 3_500.0),    // MF Rb-Z: gmina liabilities ≈ 1.5–2.5 k zł per inhabitant
    ("FIN_14", 10.0, 40.0),        // ≈ 20–30 % of revenue
    ("FIN_15", 0.3, 2.0),          // interest (dział 757) ≈ 0.5–1.5 % of revenue
    ("FIN_16", 500.0, 1_300.0),    // MF: dział 750 ≈ 700–1 000 zł per inhabitant, more in small gminy
    ("FIN_17", 7.0, 15.0),         // dział 750 ≈ 9–13 % of gmina expenditure
    ("FIN_18", 12.0, 45.0),        // MF: property tax ≈ 20–35 % of gmina own revenue
    ("FIN_19", 20.0, 250.0),       // MF: agricultural tax ≈ 50 zł per inhabitant, ≈ 100 zł in rural gminy
    ("FIN_20", 4_500.0, 9_000.0),  // MF: current expenditure ≈ 80 % of expenditure ≈ 6–7 k zł in 2024
    ("FIN_21", 1_000.0, 3_500.0),  // MF: grants ≈ 20–30 % of gmina revenue
    ("FIN_22", 800.0, 2_800.0),    // MF: general subsidy ≈ 1.2 k zł, ≈ 1.5–2 k zł in rural gminy
    ("FIN_23", 5.0, 25.0),         // MF: PIT share ≈ 8 % of revenue in rural gminy, ≈ 15–20 % in towns
    // Demography
    ("DEM_01", 30.0, 200.0),  // GUS: median gmina ≈ 60 inhabitants per km², rural ≈ 50, towns ≈ 1 000+
    ("DEM_02", -1.0, 0.8),    // GUS: Poland loses ≈ 0.3–0.4 % of its population a year; suburbs grow
    ("DEM_03", -3.0, 2.0),    // the same over five years
    ("DEM_04", -7.0, 0.0),    // GUS 2024: natural increase ≈ −4 ‰ (births 6.7 ‰, deaths 10.9 ‰)
    ("DEM_05", 5.5, 9.0),     // GUS 2024: ≈ 6.7 live births per 1000
    ("DEM_06", -3.0, 3.0),    // GUS: net migration within a few ‰ either side of zero
    ("DEM_07", 60.0, 80.0),   // GUS 2024: ≈ 70 non-working-age per 100 of working age
    ("DEM_08", 19.0, 27.0),   // GUS 2024: ≈ 23 % of the population is of post-working age
    ("DEM_09", 16.0, 24.0),   // GUS 2024: ≈ 20 % aged 65+
    ("DEM_10", 100.0, 170.0), // GUS 2024: ≈ 130 post-working-age per 100 pre-working-age
    ("DEM_11", 9.0, 14.0),    // GUS 2024: ≈ 10.9 deaths per 1000, more in rural gminy
    ("DEM_12", 2.8, 5.0),     // GUS 2024: ≈ 138 k marriages ≈ 3.7 per 1000
    ("DEM_13", 0.7, 2.2),     // GUS 2023–2024: ≈ 55 k divorces ≈ 1.5 per 1000
    ("DEM_14", 10.0, 18.0),   // GUS 2024: ≈ 5.2 M persons aged 70+ ≈ 14 % of the population
    // Economy
    ("GOS_01", 2.5, 7.0), // GUS/PUP 2024: ≈ 0.8 M registered unemployed ≈ 3.5 % of the working-age population, more in the country
    ("GOS_02", 700.0, 1_600.0), // GUS REGON: ≈ 1 370 entities per 10 k nationally, ≈ 1 000 in rural gminy
    ("GOS_03", 50.0, 130.0), // GUS REGON: ≈ 100 new entities per 10 k a year
    ("GOS_04", 8.0, 20.0), // GUS: ≈ 3.8 M natural persons in business ≈ 17 per 100 of working age, fewer in the country
    ("GOS_05", 100.0, 300.0), // GUS (without units of ≤ 9 persons): ≈ 260 per 1000 nationally, ≈ 150 in rural gminy
    ("GOS_06", 2.0, 30.0), // GUS: ≈ 0.8 M tourist beds ≈ 21 per 1000 nationally, concentrated in resorts
    ("GOS_07", 60.0, 85.0), // GUS REGON: natural persons ≈ 70 % of registered entities
    ("GOS_08", 5_500.0, 9_000.0), // GUS 2024: average gross wage ≈ 8.2 k zł, ≈ 6.5–7.5 k zł in a typical powiat
    ("GOS_09", 40.0, 120.0), // GUS REGON: ≈ 0.3 M entities removed a year ≈ 80 per 10 k
    ("GOS_10", 30.0, 1_500.0), // GUS KT-1 2024: ≈ 38 M tourists ≈ 1 000 per 1000 nationally; most gminy far fewer
    // Health
    ("ZDR_01", 2.5, 9.0),    // GUS ZD-3: ≈ 7.5 consultations per inhabitant, fewer in rural gminy
    ("ZDR_02", 2.0, 9.0),    // GUS: ≈ 23 k outpatient clinics ≈ 6 per 10 k inhabitants
    ("ZDR_03", 1.5, 4.5),    // GUS: ≈ 12.4 k community pharmacies ≈ 3.3 per 10 k
    ("ZDR_04", 10.0, 60.0),  // GUS ZD-1: ≈ 160 k beds ≈ 42 per 10 k, fewer in powiaty ziemskie
    ("ZDR_05", 15.0, 120.0), // MF: dział 851 in gminy (addiction prevention) ≈ 30–50 zł
    ("ZDR_06", 45.0, 80.0),  // GUS ZD-3: primary care gives ≈ 60 % of doctor consultations
    // Sustainability
    ("ZRO_01", 12.0, 40.0),  // GUS: forest cover 29.6 % nationally, the median gmina ≈ 25 %
    ("ZRO_02", 5.0, 60.0),   // GUS: ≈ 32 % of Poland legally protected, unevenly
    ("ZRO_03", 0.03, 2.0),   // GUS SG-01: maintained greenery ≈ 0.1–0.3 % of a rural gmina, 3–8 % of cities
    ("ZRO_04", 22.0, 48.0),  // GUS: households use ≈ 34 m³ of mains water per inhabitant a year
    ("ZRO_05", 0.005, 0.3),  // GUS OS-6: ≈ 30 k t of particulates ≈ 0.1 t per km², most powiaty less
    ("ZRO_06", 0.1, 8.0),    // GUS OS-6: ≈ 1.1 M t of gases without CO₂ ≈ 3.5 t per km², most less
    ("ZRO_07", 60.0, 220.0), // GUS 2023: ≈ 150–160 kg collected separately per inhabitant
    ("ZRO_08", 90.0, 260.0), // GUS 2023: ≈ 190 kg of mixed waste per inhabitant, less in rural gminy
    ("ZRO_09", 0.5, 10.0),   // GUS: ≈ 20 k km of cycle paths ≈ 5 km per 10 k inhabitants
    ("ZRO_10", 90.0, 100.0), // GUS: ≈ 99 % of wastewater requiring treatment is treated
];

/// Percentage shares: a part over its whole, so within 0–100 for every unit and year.
const SHARES: &[&str] = &[
    "EDU_07", "EDU_08", "EDU_11", "EDU_12", "EDU_13", "EDU_14", "EDU_18", "SPO_05", "SPO_07", "SPO_10", "SPO_16", "TRA_02", "TRA_05", "ENV_01",
    "ENV_02", "ENV_08", "ENV_12", "ENV_13", "MIE_06", "MIE_13", "FIN_03", "FIN_04", "FIN_08", "FIN_15", "FIN_17", "DEM_08", "DEM_09", "DEM_14",
    "GOS_01", "GOS_07", "ZDR_06", "ZRO_01", "ZRO_02", "ZRO_03", "ZRO_10",
];

#[tokio::test]
async fn the_demo_has_the_magnitudes_of_polish_gminy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = app::Store::open(&format!("sqlite:{}", dir.path().join("demo.db").display())).await.expect("store");
    assert!(app::load_demo(&store).await.expect("demo loads"));
    let c = app::compute(&store).await.expect("compute");
    store.close().await;
    let s = &c.snapshot;
    let last = s.years() - 1;
    let year = s.first_year() + last as i32;

    // Variables the gminy report through forms (source "ankieta") have no synthetic values:
    // the demo shows the indicators over them only as its campaign collects them.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalogue/indicators.toml");
    let cat = ingest::catalogue::read_catalogue(&path).expect("catalogue");
    let reported: std::collections::HashSet<&str> =
        cat.variables.iter().filter(|v| v.source.as_deref() == Some("ankieta")).map(|v| v.code.get_ref().as_str()).collect();
    let reads_reported = |f: &str| f.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')).any(|t| reported.contains(t));

    let mut failures = Vec::new();
    for d in &c.definitions {
        if [Some(&d.numerator), d.denominator.as_ref()].into_iter().flatten().any(|f| reads_reported(f)) {
            continue;
        }
        let Some(&(_, lo, hi)) = MEDIANS.iter().find(|(code, _, _)| *code == d.code) else {
            failures.push(format!("{}: no plausible range in this test — add one", d.code));
            continue;
        };
        let i = s.indicator_index(&d.code).expect("indicator in the snapshot");
        // Over the gminy when the indicator applies to them, else over the powiaty.
        let gminy = s.indicator(i).applies.iter().zip(&c.kinds).any(|(a, k)| *a && k.is_gmina());
        let level = |k: &UnitKind| if gminy { k.is_gmina() } else { *k == UnitKind::Powiat };
        let mut v: Vec<f64> = s.year_values(i, last).iter().zip(&c.kinds).filter(|(x, k)| level(k) && !x.is_nan()).map(|(x, _)| *x).collect();
        if v.len() < 10 {
            failures.push(format!("{}: only {} values in {year}", d.code, v.len()));
            continue;
        }
        v.sort_by(f64::total_cmp);
        let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
        if !(lo..=hi).contains(&median) {
            failures.push(format!("{} ({}): median {median:.2} {} in {year} is outside {lo}–{hi}", d.code, d.name_en, d.unit_pl));
        }
        if SHARES.contains(&d.code.as_str()) {
            let outside: Vec<(usize, usize, f64)> = (0..s.years())
                .flat_map(|y| s.year_values(i, y).iter().enumerate().map(move |(u, x)| (y, u, *x)))
                .filter(|&(_, u, x)| s.indicator(i).applies[u] && !x.is_nan() && !(-1e-9..=100.0 + 1e-9).contains(&x)) // 100·a/a may round to 100.00000000000001
                .collect();
            if let Some(&(y, u, x)) = outside.iter().max_by(|a, b| (a.2 - 50.0).abs().total_cmp(&(b.2 - 50.0).abs())) {
                let (n, unit, at) = (outside.len(), c.codes[u].as_str(), s.first_year() + y as i32);
                failures.push(format!("{}: a share outside 0–100 % for {n} unit-years, e.g. {x:.2} % for {unit} in {at}", d.code));
            }
        }
    }
    // Net migration has both signs (suburbs grow, remote gminy shrink) and cities with powiat
    // rights are dense but not Hong Kong (Kraków ≈ 2 450 per km², Radom ≈ 1 800).
    let at = |code: &str, keep: &dyn Fn(&UnitKind) -> bool| -> Vec<f64> {
        let i = s.indicator_index(code).expect("indicator");
        s.year_values(i, last).iter().zip(&c.kinds).filter(|(x, k)| keep(k) && !x.is_nan()).map(|(x, _)| *x).collect()
    };
    let migration = at("DEM_06", &|k| k.is_gmina());
    let gaining = migration.iter().filter(|x| **x > 0.0).count() as f64 / migration.len().max(1) as f64;
    if !(0.1..=0.6).contains(&gaining) {
        failures.push(format!("DEM_06: {:.0} % of gminy gain people by migration; expected 10–60 %", gaining * 100.0));
    }
    let mut cities = at("DEM_01", &|k| *k == UnitKind::MiastoNaPrawachPowiatu);
    cities.sort_by(f64::total_cmp);
    let city_median = cities.get(cities.len() / 2).copied().unwrap_or(f64::NAN);
    if !(1_000.0..=3_500.0).contains(&city_median) {
        failures.push(format!("DEM_01: median density of cities with powiat rights {city_median:.0} per km²; expected 1 000–3 500"));
    }
    for (code, _, _) in MEDIANS {
        if !c.definitions.iter().any(|d| d.code == *code) {
            failures.push(format!("{code}: in this test but not in the catalogue"));
        }
    }
    assert!(failures.is_empty(), "{} implausible demo values:\n{}", failures.len(), failures.join("\n"));
}
