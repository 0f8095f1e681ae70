//! secp256k1 field element benchmarks

#![allow(missing_docs, reason = "benchmark")]

use core::hint::black_box;
use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::Measurement,
};
use elliptic_curve::{hazmat::FieldArithmetic, ops::BatchInvert};
use k256::Secp256k1;

type FieldElement = <Secp256k1 as FieldArithmetic>::FieldElement;

fn test_field_element_x() -> FieldElement {
    FieldElement::from_bytes(
        &[
            0xbb, 0x48, 0x8a, 0xef, 0x41, 0x6a, 0x41, 0xd7, 0x68, 0x0d, 0x1c, 0xf0, 0x1d, 0x70,
            0xf5, 0x9b, 0x60, 0xd7, 0xf5, 0xf7, 0x7e, 0x30, 0xe7, 0x8b, 0x8b, 0xf9, 0xd2, 0xd8,
            0x82, 0xf1, 0x56, 0xa6,
        ]
        .into(),
    )
    .unwrap()
}

fn test_field_element_y() -> FieldElement {
    FieldElement::from_bytes(
        &[
            0x67, 0xe2, 0xf6, 0x80, 0x71, 0xed, 0x82, 0x81, 0xe8, 0xae, 0xd6, 0xbc, 0xf1, 0xc5,
            0x20, 0x7c, 0x5e, 0x63, 0x37, 0x22, 0xd9, 0x20, 0xaf, 0xd6, 0xae, 0x22, 0xd0, 0x6e,
            0xeb, 0x80, 0x35, 0xe3,
        ]
        .into(),
    )
    .unwrap()
}

fn bench_field_element_normalize_weak<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("normalize_weak", |b| {
        b.iter(|| black_box(x).normalize_weak());
    });
}

fn bench_field_element_normalize<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("normalize", |b| b.iter(|| black_box(x).normalize()));
}

fn bench_field_element_mul<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    let y = test_field_element_y();
    group.bench_function("mul", |b| b.iter(|| black_box(x) * black_box(y)));
}

fn bench_field_element_square<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("square", |b| b.iter(|| black_box(x).square()));
}

fn bench_field_element_sqrt<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("sqrt", |b| b.iter(|| black_box(x).sqrt()));
}

fn bench_field_element_invert<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("invert", |b| b.iter(|| black_box(x).invert()));
    group.bench_function("invert_vartime", |b| {
        b.iter(|| black_box(x).invert_vartime());
    });
    group.bench_function("batch_invert_in_place (2p)", |b| {
        let points = [test_field_element_x(), test_field_element_y()];
        let scratch = [FieldElement::ZERO; 2];
        b.iter(|| {
            FieldElement::batch_invert_in_place(&mut black_box(points), &mut black_box(scratch))
        });
    });
    group.bench_function("batch_invert_in_place_vartime (2p)", |b| {
        let points = [test_field_element_x(), test_field_element_y()];
        let scratch = [FieldElement::ZERO; 2];
        b.iter(|| {
            FieldElement::batch_invert_in_place_vartime(
                &mut black_box(points),
                &mut black_box(scratch),
            )
        });
    });
}

fn bench_field_element_to_bytes<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    group.bench_function("to_bytes", |b| b.iter(|| black_box(x).to_bytes()));
}

fn bench_field_element_from_bytes<'a, M: Measurement>(group: &mut BenchmarkGroup<'a, M>) {
    let x = test_field_element_x();
    let bytes = x.to_bytes();
    group.bench_function("from_bytes", |b| {
        b.iter(|| FieldElement::from_bytes(black_box(&bytes)));
    });
}

fn bench_field_element(c: &mut Criterion) {
    let mut group = c.benchmark_group("field element operations");
    bench_field_element_normalize_weak(&mut group);
    bench_field_element_normalize(&mut group);
    bench_field_element_mul(&mut group);
    bench_field_element_square(&mut group);
    bench_field_element_invert(&mut group);
    bench_field_element_sqrt(&mut group);
    bench_field_element_to_bytes(&mut group);
    bench_field_element_from_bytes(&mut group);
    group.finish();
}

criterion_group!(benches, bench_field_element);
criterion_main!(benches);
