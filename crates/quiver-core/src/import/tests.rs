//! Tests of the file readers on files built byte by byte here.

use super::*;

/// A `.npy` file (version `major`) holding `data` with `descr` and `shape`.
fn npy(major: u8, descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let pre = if major == 1 { 10 } else { 12 };
    while (pre + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY".to_vec();
    out.extend([major, 0]);
    if major == 1 {
        out.extend((header.len() as u16).to_le_bytes());
    } else {
        out.extend((header.len() as u32).to_le_bytes());
    }
    out.extend(header.as_bytes());
    out.extend(data);
    out
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn fvecs(rows: &[Vec<f32>]) -> Vec<u8> {
    rows.iter().flat_map(|r| (r.len() as i32).to_le_bytes().into_iter().chain(f32s(r))).collect()
}

fn all_rows(f: &VectorFile) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for i in 0..f.rows() {
        let mut r = Vec::new();
        f.row_f32(i, &mut r).unwrap();
        out.push(r);
    }
    out
}

#[test]
fn npy_float32_round_trips_every_bit() {
    let vals: Vec<f32> = vec![1.5, -0.0, f32::MIN_POSITIVE, 3.4e38, -7.25, 1e-45];
    for major in [1, 2, 3] {
        let bytes = npy(major, "<f4", "(3, 2)", &f32s(&vals));
        let f = VectorFile::open(&bytes, Format::Npy).unwrap();
        assert_eq!((f.rows(), f.dim(), f.elem()), (3, 2, Elem::F32));
        let got: Vec<u32> = all_rows(&f).concat().iter().map(|v| v.to_bits()).collect();
        assert_eq!(got, vals.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }
}

#[test]
fn npy_other_element_types_convert_exactly() {
    let h: Vec<u8> = [1.0f32, -2.5, 65504.0, 0.000061035156]
        .iter()
        .flat_map(|&v| f16::from_f32(v).to_bits().to_le_bytes())
        .collect();
    let f16file = npy(1, "<f2", "(2, 2)", &h);
    assert_eq!(
        all_rows(&VectorFile::open(&f16file, Format::Npy).unwrap()),
        vec![vec![1.0, -2.5], vec![65504.0, 0.000061035156]]
    );
    let i8file = npy(1, "|i1", "(1, 3)", &[0x80, 0xff, 0x7f]);
    assert_eq!(all_rows(&VectorFile::open(&i8file, Format::Npy).unwrap()), vec![vec![-128.0, -1.0, 127.0]]);
    let u8file = npy(1, "|u1", "(1, 3)", &[0, 200, 255]);
    assert_eq!(all_rows(&VectorFile::open(&u8file, Format::Npy).unwrap()), vec![vec![0.0, 200.0, 255.0]]);
    // a one-dimensional int64 array: one value per row, read as integers
    let ids: Vec<u8> = [7i64, -3, i64::MAX].iter().flat_map(|v| v.to_le_bytes()).collect();
    let bytes = npy(1, "<i8", "(3,)", &ids);
    let f = VectorFile::open(&bytes, Format::Npy).unwrap();
    assert_eq!((f.rows(), f.dim()), (3, 1));
    assert_eq!((0..3).map(|i| f.row_int(i, 0).unwrap()).collect::<Vec<_>>(), vec![7, -3, i64::MAX]);
    // an empty array
    let bytes = npy(1, "<f4", "(0, 16)", &[]);
    let f = VectorFile::open(&bytes, Format::Npy).unwrap();
    assert_eq!((f.rows(), f.dim()), (0, 16));
}

#[test]
fn npy_header_variants_parse() {
    let h = parse_npy_header(&npy(1, "<f4", "(10, 4)", &[])).unwrap();
    assert_eq!((h.descr.as_str(), h.fortran_order, h.shape.clone()), ("<f4", false, vec![10, 4]));
    // key order, double quotes and Python 2 long suffixes as older writers produced them
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    let text = "{\"shape\": (5L, 3L), \"fortran_order\": False, \"descr\": \"<f4\"}\n";
    b.extend((text.len() as u16).to_le_bytes());
    b.extend(text.as_bytes());
    let h = parse_npy_header(&b).unwrap();
    assert_eq!(h.shape, vec![5, 3]);
    assert_eq!(h.data_offset, b.len());
}

fn err(bytes: &[u8], format: Format) -> Error {
    VectorFile::open(bytes, format).unwrap_err()
}

#[test]
fn npy_errors_name_the_problem() {
    let e = err(b"PK\x03\x04 not numpy at all", Format::Npy);
    assert_eq!(
        (e.kind.sqlstate(), e.message.as_str()),
        ("22P04", "not a NumPy .npy file (the magic string \\x93NUMPY is missing)")
    );
    let e = err(&npy(1, "<f4", "(3, 2)", &f32s(&[1.0; 5])), Format::Npy);
    assert_eq!(
        e.message,
        "the .npy file is truncated: its shape needs 24 bytes of data, it has 20 (row 3 is incomplete)"
    );
    let e = err(&npy(1, "<f4", "(1, 2)", &f32s(&[1.0; 3])), Format::Npy);
    assert_eq!(e.message, "the .npy file has 4 bytes after the array its shape describes");
    let e = err(&npy(1, ">f4", "(1, 1)", &[0; 4]), Format::Npy);
    assert_eq!(e.message, "big-endian .npy arrays are not supported (dtype '>f4')");
    let e = err(&npy(1, "<c8", "(1, 1)", &[0; 8]), Format::Npy);
    assert_eq!(e.message, "unsupported .npy dtype '<c8'");
    let e = err(&npy(1, "<f4", "(1, 1, 1)", &[0; 4]), Format::Npy);
    assert_eq!(e.message, "a .npy array for import has one or two dimensions, not 3");
    let mut fortran = npy(1, "<f4", "(1, 1)", &[0; 4]);
    let at = fortran.windows(5).position(|w| w == b"False").unwrap();
    fortran.splice(at..at + 5, b"True ".iter().copied());
    assert_eq!(err(&fortran, Format::Npy).message, "Fortran-ordered .npy arrays are not supported");
    let e = err(&npy(9, "<f4", "(1, 1)", &[0; 4]), Format::Npy);
    assert_eq!(e.message, "unsupported .npy format version 9.0");
    let mut cut = npy(1, "<f4", "(1, 1)", &[0; 4]);
    cut.truncate(20);
    assert_eq!(err(&cut, Format::Npy).message, "the .npy header is truncated");
    let e = err(&npy(1, "<f4", "(-1, 2)", &[]), Format::Npy);
    assert_eq!(e.kind, ErrorKind::BadFileFormat);
}

#[test]
fn vecs_files_read_and_validate() {
    let rows = vec![vec![1.0f32, 2.0, 3.0], vec![-1.0, 0.5, 1e30]];
    let bytes = fvecs(&rows);
    let f = VectorFile::open(&bytes, Format::Fvecs).unwrap();
    assert_eq!((f.rows(), f.dim()), (2, 3));
    assert_eq!(all_rows(&f), rows);
    let b: Vec<u8> = [2i32.to_le_bytes().to_vec(), vec![0, 255], 2i32.to_le_bytes().to_vec(), vec![9, 10]].concat();
    assert_eq!(all_rows(&VectorFile::open(&b, Format::Bvecs).unwrap()), vec![vec![0.0, 255.0], vec![9.0, 10.0]]);
    let i: Vec<u8> = [1i32, 42, 1, -7].iter().flat_map(|v| v.to_le_bytes()).collect();
    let f = VectorFile::open(&i, Format::Ivecs).unwrap();
    assert_eq!(all_rows(&f), vec![vec![42.0], vec![-7.0]]);
    assert_eq!(f.row_int(1, 0).unwrap(), -7);
    assert_eq!(VectorFile::open(&[], Format::Fvecs).unwrap().rows(), 0);

    // truncated: the last row is cut short
    let mut cut = fvecs(&rows);
    cut.truncate(cut.len() - 2);
    let e = err(&cut, Format::Fvecs);
    assert_eq!((e.kind.sqlstate(), e.message.as_str()), ("22P04", "the file is truncated: 30 bytes do not hold whole rows of dimension 3 (16 bytes each); row 2 is incomplete"));
    // a row whose header disagrees with the first row's
    let mut bad = fvecs(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
    bad[24..28].copy_from_slice(&3i32.to_le_bytes());
    let f = VectorFile::open(&bad, Format::Fvecs).unwrap();
    let mut r = Vec::new();
    f.row_f32(1, &mut r).unwrap();
    assert_eq!(f.row_f32(2, &mut r).unwrap_err().message, "row 3: dimension header says 3, the file's first row has 2");
    assert_eq!(err(&0i32.to_le_bytes(), Format::Fvecs).message, "row 1: dimension header says 0, expected 1 to 16000");
    assert_eq!(err(&[1, 0], Format::Fvecs).message, "the file is truncated: row 1 has no complete dimension header");
}

#[test]
fn non_finite_values_and_inexact_integers_are_row_errors() {
    let f32file = fvecs(&[vec![1.0, 2.0], vec![f32::NAN, 1.0]]);
    let f = VectorFile::open(&f32file, Format::Fvecs).unwrap();
    let mut r = Vec::new();
    let e = f.row_f32(1, &mut r).unwrap_err();
    assert_eq!((e.kind.sqlstate(), e.message.as_str()), ("22000", "row 2, element 1: NaN is not a finite number"));
    let inf = npy(1, "<f2", "(1, 2)", &[0, 0, 0, 0x7c]);
    let e = VectorFile::open(&inf, Format::Npy).unwrap().row_f32(0, &mut r).unwrap_err();
    assert_eq!(e.message, "row 1, element 2: inf is not a finite number");
    let big: Vec<u8> = [1i32, 16_777_217].iter().flat_map(|v| v.to_le_bytes()).collect();
    let e = VectorFile::open(&big, Format::Ivecs).unwrap().row_f32(0, &mut r).unwrap_err();
    assert_eq!(
        (e.kind.sqlstate(), e.message.as_str()),
        ("22003", "row 1, element 1: 16777217 is not exactly representable as float4")
    );
    let e = VectorFile::open(&f32file, Format::Fvecs).unwrap().row_int(0, 0).unwrap_err();
    assert_eq!(e.message, "an id file must hold integers, not float32");
}

#[test]
fn formats_parse_by_name_and_extension() {
    assert_eq!(Format::parse("NPY").unwrap(), Format::Npy);
    assert_eq!(Format::parse(".fvecs").unwrap(), Format::Fvecs);
    assert_eq!(Format::from_path("/data/sift_base.bvecs"), Some(Format::Bvecs));
    assert_eq!(Format::from_path("/data/gt.ivecs"), Some(Format::Ivecs));
    assert_eq!(Format::from_path("/data/noext"), None);
    let e = Format::parse("parquet2").unwrap_err();
    assert_eq!((e.kind.sqlstate(), e.message.as_str()), ("22023", "unknown file format \"parquet2\""));
}

fn json_collect(text: &str, layout: JsonLayout) -> Result<Vec<(usize, serde_json::Value)>> {
    let mut out = Vec::new();
    json_rows(text.as_bytes(), layout, &mut |n, v| {
        out.push((n, v));
        Ok(())
    })?;
    Ok(out)
}

#[test]
fn json_documents_and_lines_stream_their_rows() {
    use serde_json::json;
    let want = vec![(1, json!({"id": 1, "v": [0.5, 1.0]})), (2, json!({"id": 2, "v": [2.0, 3.0]}))];
    let array = r#" [ {"id": 1, "v": [0.5, 1.0]}, {"id": 2, "v": [2.0, 3.0]} ] "#;
    assert_eq!(json_collect(array, JsonLayout::Document).unwrap(), want);
    let wrapped = r#"{"other": {"x": [1, 2]}, "rows": [{"id": 1, "v": [0.5, 1.0]}, {"id": 2, "v": [2.0, 3.0]}]}"#;
    assert_eq!(json_collect(wrapped, JsonLayout::Document).unwrap(), want);
    let bom = format!("\u{feff}{array}");
    assert_eq!(json_collect(&bom, JsonLayout::Document).unwrap(), want);
    let lines = "{\"id\": 1, \"v\": [0.5, 1.0]}\n\n{\"id\": 2, \"v\": [2.0, 3.0]}\n";
    assert_eq!(json_collect(lines, JsonLayout::Lines).unwrap(), want);
    assert_eq!(json_collect("", JsonLayout::Lines).unwrap(), vec![]);
    assert_eq!(json_collect("{\"rows\": []}", JsonLayout::Document).unwrap(), vec![]);
}

#[test]
fn json_errors_name_the_row_and_line() {
    let e = json_collect("[{\"id\": 1},\n {\"id\": 2,,}]", JsonLayout::Document).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadFileFormat);
    assert!(e.message.starts_with("row 2: invalid JSON at line 2"), "{}", e.message);
    let e = json_collect("{\"id\": 1}\n{\"id\": ", JsonLayout::Lines).unwrap_err();
    assert!(e.message.starts_with("row 2: invalid JSON at line 2"), "{}", e.message);
    let e = json_collect("{\"data\": []}", JsonLayout::Document).unwrap_err();
    assert!(e.message.contains("no \"rows\" array"), "{}", e.message);
    let e = json_collect("   ", JsonLayout::Document).unwrap_err();
    assert_eq!(e.message, "the file holds no JSON");
    let e = json_collect("[1, 2] [3]", JsonLayout::Document).unwrap_err();
    assert!(e.message.contains("trailing characters"), "{}", e.message);
    // an error from the row callback comes back as it is and stops the walk
    let mut seen = 0;
    let e = json_rows(b"[{}, {}, {}]", JsonLayout::Document, &mut |n, _| {
        seen = n;
        if n == 2 {
            Err(Error::data("stop here"))
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert_eq!((e.message.as_str(), seen), ("stop here", 2));
}

#[test]
fn npy_columns_read_scalars_strings_and_vectors() {
    use serde_json::json;
    let ids = npy(1, "<i8", "(3,)", &[5i64, -7, 9].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>());
    let small = npy(1, "<i2", "(3,)", &[1i16, -2, 300].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>());
    let flags = npy(1, "|b1", "(3,)", &[1, 0, 1]);
    let score = npy(1, "<f8", "(3,)", &[0.1f64, -2.5, 1e300].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>());
    let mut text = Vec::new();
    for s in ["ab", "", "héé"] {
        let mut cs: Vec<u32> = s.chars().map(|c| c as u32).collect();
        cs.resize(3, 0);
        text.extend(cs.iter().flat_map(|c| c.to_le_bytes()));
    }
    let title = npy(1, "<U3", "(3,)", &text);
    let vec = npy(1, "<f4", "(3, 2)", &f32s(&[0.1, 0.2, 1.5, -1.0, 3.0, 1e-30]));
    let files: Vec<(&str, &[u8])> = vec![
        ("/d/id.npy", &ids),
        ("small.npy", &small),
        ("/x/flag.npy", &flags),
        ("score.npy", &score),
        ("title.npy", &title),
        ("/y/v.npy", &vec),
    ];
    let set = NpySet::open(&files).unwrap();
    assert_eq!(set.rows(), 3);
    assert_eq!(
        set.row(2).unwrap(),
        json!({"id": 9, "small": 300, "flag": true, "score": 1e300, "title": "héé", "v": [3.0, 1e-30f32 as f64]})
    );
    assert_eq!(set.row(1).unwrap()["title"], json!(""));
    assert_eq!(set.row(0).unwrap()["v"][0].as_f64().unwrap() as f32, 0.1f32);

    let short = npy(1, "<i8", "(2,)", &[1i64, 2].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<_>>());
    let e = NpySet::open(&[("id.npy", &ids[..]), ("other.npy", &short[..])]).unwrap_err();
    assert_eq!(e.message, "file \"other.npy\" holds 2 rows, file \"id.npy\" holds 3");
    let e = NpySet::open(&[("/a/id.npy", &ids[..]), ("/b/id.npy", &ids[..])]).unwrap_err();
    assert!(e.message.contains("both hold field \"id\""), "{}", e.message);
    let cut = &vec[..vec.len() - 3];
    let e = NpySet::open(&[("v.npy", cut)]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadFileFormat);
    assert!(e.message.starts_with("file \"v.npy\": the .npy file holds 21 bytes of data where its shape needs 24"), "{}", e.message);
    let obj = npy(1, "|O", "(3,)", &[0; 24]);
    let e = NpySet::open(&[("o.npy", &obj[..])]).unwrap_err();
    assert!(e.message.contains("unsupported .npy dtype '|O'"), "{}", e.message);
    let nan = npy(1, "<f4", "(1, 2)", &f32s(&[1.0, f32::NAN]));
    let e = NpySet::open(&[("v.npy", &nan[..])]).unwrap().row(0).unwrap_err();
    assert_eq!(e.message, "row 1: field \"v\": NaN is not a finite number");
}

#[test]
fn row_formats_come_from_names() {
    assert_eq!(RowFormat::from_path("/a/b.JSON"), Some(RowFormat::Json));
    assert_eq!(RowFormat::from_path("x.ndjson"), Some(RowFormat::JsonLines));
    assert_eq!(RowFormat::from_path("x.parquet"), Some(RowFormat::Parquet));
    assert_eq!(RowFormat::from_path("/a.b/noext"), None);
    assert_eq!(npy_field("/a/b/embedding.npy"), "embedding");
    assert_eq!(RowFormat::parse("csv").unwrap_err().kind, ErrorKind::InvalidParameterValue);
}

#[test]
fn parquet_rows_come_out_as_json_objects() {
    use parquet::data_type::{FloatType, Int64Type};
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use serde_json::json;
    use std::sync::Arc;
    let schema = Arc::new(
        parse_message_type(
            "message m { required int64 id; required group v (LIST) { repeated group list { required float element; } } }",
        )
        .unwrap(),
    );
    let mut buf = Vec::new();
    {
        let mut w = SerializedFileWriter::new(&mut buf, schema, Default::default()).unwrap();
        let mut rg = w.next_row_group().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<Int64Type>().write_batch(&[10, 11], None, None).unwrap();
        c.close().unwrap();
        let mut c = rg.next_column().unwrap().unwrap();
        c.typed::<FloatType>().write_batch(&[0.1, 0.2, 0.3, f32::NAN], Some(&[1, 1, 1, 1]), Some(&[0, 1, 0, 1])).unwrap();
        c.close().unwrap();
        rg.close().unwrap();
        w.close().unwrap();
    }
    let mut rows = Vec::new();
    let e = parquet_rows(owned_bytes(buf.clone()), &mut |n, v| {
        rows.push((n, v));
        Ok(())
    })
    .unwrap_err();
    assert_eq!(rows, vec![(1, json!({"id": 10, "v": [0.1f32 as f64, 0.2f32 as f64]}))]);
    assert_eq!(e.message, "row 2: field \"v\": NaN is not a finite number");
    let e = parquet_rows(owned_bytes(buf[..buf.len() - 10].to_vec()), &mut |_, _| Ok(())).unwrap_err();
    assert_eq!(e.kind, ErrorKind::BadFileFormat);
    assert!(e.message.starts_with("invalid Parquet file"), "{}", e.message);
    // damaged bytes anywhere: rows or a file error, never a panic
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut seed = 7u64;
    let mut outcomes = Vec::new();
    for _ in 0..400 {
        let mut bad = buf.clone();
        for _ in 0..3 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let at = (seed >> 33) as usize % bad.len();
            bad[at] ^= (seed >> 20) as u8 | 1;
        }
        outcomes.push(std::panic::catch_unwind(|| parquet_rows(owned_bytes(bad), &mut |_, _| Ok(()))));
    }
    std::panic::set_hook(default_hook);
    for r in outcomes {
        match r {
            Ok(Ok(_)) => {}
            // a damaged float can read as NaN, which is a row error
            Ok(Err(e)) => assert!(matches!(e.kind, ErrorKind::BadFileFormat | ErrorKind::DataException), "{e:?}"),
            Err(_) => panic!("a panic escaped the Parquet reader"),
        }
    }
}
