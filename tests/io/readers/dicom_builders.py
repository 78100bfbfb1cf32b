"""Synthetic DICOM for tests and benchmarks: a CT series written with pydicom and SEG objects
written with highdicom over it (both must be installed: the `dicom` or `test` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import highdicom as hd
import numpy as np
import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sr.codedict import codes
from pydicom.tag import Tag
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

ORGAN = codes.SCT.Organ
CONTOUR_DATA = Tag(0x3006, 0x0050)


def ct_series(out: Path, orientation: Sequence[float] = (1, 0, 0, 0, 1, 0), slices: int = 6, rows: int = 32,
              cols: int = 40, pixels: np.ndarray | None = None, modality: str = "CT",
              windows: Sequence[tuple[object, object]] = ()) -> list[Dataset]:
    """A CT series of `slices` axial images 2.5 mm apart, of `pixels` (slices, rows, cols) when
    given; by default each holds a bright 4x4 square at rows 2-5, columns 30-33 of its pixel
    array (to check how slices are turned). `modality` is its Modality tag; `windows`, the
    (WindowCenter, WindowWidth) of each file in turn (the last repeated), none by default."""
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    out.mkdir(parents=True, exist_ok=True)
    datasets = []
    for k in range(slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
        ds.PatientID, ds.PatientName, ds.PatientBirthDate, ds.PatientSex = "P1", "Test^Patient", "", "O"
        ds.StudyDate, ds.StudyTime, ds.AccessionNumber, ds.ReferringPhysicianName, ds.StudyID = (
            "20260101", "000000", "", "", "1")
        ds.Modality, ds.SeriesNumber, ds.InstanceNumber, ds.Manufacturer = modality, 1, k + 1, "test"
        if windows:
            ds.WindowCenter, ds.WindowWidth = windows[min(k, len(windows) - 1)]
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.Rows, ds.Columns = rows, cols
        ds.PixelSpacing, ds.SliceThickness = [0.8, 0.7], 2.5
        ds.ImageOrientationPatient = list(orientation)
        ds.ImagePositionPatient = [-10.0, -20.0, 30.0 + 2.5 * k]
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleIntercept, ds.RescaleSlope = -1024, 1
        if pixels is None:
            picture = np.full((rows, cols), 100, dtype=np.int16)
            picture[2:6, 30:34] = 2000
        else:
            picture = pixels[k].astype(np.int16)
        ds.PixelData = picture.tobytes()
        path = out / f"ct{k:03d}.dcm"
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        datasets.append(pydicom.dcmread(path))
    return datasets


def description(number: int, label: str, kind: object, modifier: object | None = None) -> object:
    desc = hd.seg.SegmentDescription(
        segment_number=number, segment_label=label, segmented_property_category=ORGAN,
        segmented_property_type=kind, algorithm_type=hd.seg.SegmentAlgorithmTypeValues.MANUAL)
    if modifier is not None:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = modifier
        desc.SegmentedPropertyTypeCodeSequence[0].SegmentedPropertyTypeModifierCodeSequence = [item]
    return desc


def write_seg(out: Path, source: list[Dataset], mask: np.ndarray, descriptions: list[object],
              segmentation_type: str = "BINARY") -> Path:
    """A SEG over `source` of `mask` ((images, rows, columns), or a last axis of segments), BINARY
    (1 bit a pixel) or FRACTIONAL (8 bits: `mask` of floats 0 to 1)."""
    seg = hd.seg.Segmentation(
        source_images=source, pixel_array=mask, segmentation_type=hd.seg.SegmentationTypeValues[segmentation_type],
        segment_descriptions=descriptions, series_instance_uid=generate_uid(), series_number=2,
        sop_instance_uid=generate_uid(), instance_number=1, manufacturer="veriscene",
        manufacturer_model_name="test", software_versions="0", device_serial_number="1")
    out.parent.mkdir(parents=True, exist_ok=True)
    seg.save_as(out)
    return out


def patient_point(ds: Dataset, col: float, row: float) -> list[float]:
    """Patient coordinates (mm) of pixel (column, row) of image `ds`."""
    origin = np.asarray(ds.ImagePositionPatient, dtype=float)
    x_dir, y_dir = np.asarray(ds.ImageOrientationPatient[:3], float), np.asarray(ds.ImageOrientationPatient[3:], float)
    return (origin + col * float(ds.PixelSpacing[1]) * x_dir + row * float(ds.PixelSpacing[0]) * y_dir).tolist()


def write_rtstruct(out: Path, source: list[Dataset],
                   rois: list[tuple[str, dict[int, list[list[tuple[float, float]]]]]],
                   geometric_type: str = "CLOSED_PLANAR", types: Sequence[str | None] | None = None,
                   contour_data: dict[tuple[int, int], bytes] | None = None) -> Path:
    """An RT Structure Set over `source`: per ROI, its name and, per slice (index in `source`),
    polygons of (column, row) pixel vertices, written in patient coordinates. `types`: each ROI's
    RTROIInterpretedType in an RTROIObservationsSequence (None: no observation of that ROI; no
    `types`: no sequence). `contour_data`: the ContourData bytes written as they are, malformed
    ones too (which pydicom refuses to build), of (ROI number from 1, contour index from 0)."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.481.3"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    first = source[0]
    ds.StudyInstanceUID, ds.SeriesInstanceUID = first.StudyInstanceUID, generate_uid()
    ds.PatientID, ds.PatientName, ds.Modality, ds.StructureSetLabel = first.PatientID, first.PatientName, "RTSTRUCT", "test"
    series_item = Dataset()
    series_item.SeriesInstanceUID = first.SeriesInstanceUID
    series_item.ContourImageSequence = []
    for image in source:
        ref = Dataset()
        ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = image.SOPClassUID, image.SOPInstanceUID
        series_item.ContourImageSequence.append(ref)
    study_item = Dataset()
    study_item.ReferencedSOPInstanceUID = first.StudyInstanceUID
    study_item.RTReferencedSeriesSequence = [series_item]
    frame = Dataset()
    frame.FrameOfReferenceUID = first.FrameOfReferenceUID
    frame.RTReferencedStudySequence = [study_item]
    ds.ReferencedFrameOfReferenceSequence = [frame]
    ds.StructureSetROISequence, ds.ROIContourSequence = [], []
    for number, (name, planes) in enumerate(rois, start=1):
        roi = Dataset()
        roi.ROINumber, roi.ROIName, roi.ReferencedFrameOfReferenceUID = number, name, first.FrameOfReferenceUID
        ds.StructureSetROISequence.append(roi)
        item = Dataset()
        item.ReferencedROINumber, item.ROIDisplayColor = number, [255, 0, 0]
        item.ContourSequence = []
        for k, polygons in planes.items():
            for polygon in polygons:
                contour = Dataset()
                contour.ContourGeometricType = geometric_type
                contour.NumberOfContourPoints = len(polygon)
                contour.ContourData = [v for col, row in polygon for v in patient_point(source[k], col, row)]
                raw = (contour_data or {}).get((number, len(item.ContourSequence)))
                if raw is not None:
                    contour[CONTOUR_DATA] = RawDataElement(CONTOUR_DATA, "DS", len(raw), raw, 0, False, True)
                image_ref = Dataset()
                image_ref.ReferencedSOPClassUID = source[k].SOPClassUID
                image_ref.ReferencedSOPInstanceUID = source[k].SOPInstanceUID
                contour.ContourImageSequence = [image_ref]
                item.ContourSequence.append(contour)
        ds.ROIContourSequence.append(item)
    if types is not None:
        ds.RTROIObservationsSequence = []
        for number, kind in enumerate(types, start=1):
            if kind is not None:
                observation = Dataset()
                observation.ObservationNumber, observation.ReferencedROINumber = number, number
                observation.RTROIInterpretedType, observation.ROIInterpreter = kind, ""
                ds.RTROIObservationsSequence.append(observation)
    out.parent.mkdir(parents=True, exist_ok=True)
    pydicom.dcmwrite(out, ds, enforce_file_format=True)
    return out
