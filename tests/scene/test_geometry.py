import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from veriscene.scene.geometry import box_area, box_iou, denormalise_box, normalise_box

coord = st.floats(min_value=0, max_value=1000, allow_nan=False)


@st.composite
def boxes(draw):
    x0, x1 = sorted([draw(coord), draw(coord)])
    y0, y1 = sorted([draw(coord), draw(coord)])
    return [x0, y0, x1 + 1, y1 + 1]


@given(boxes(), boxes())
def test_iou_symmetric_and_bounded(a, b) -> None:
    ab = box_iou(np.array([a]), np.array([b]))[0, 0]
    ba = box_iou(np.array([b]), np.array([a]))[0, 0]
    assert 0.0 <= ab <= 1.0 + 1e-9 and abs(ab - ba) < 1e-9


@given(boxes())
def test_iou_with_itself_is_one(a) -> None:
    assert abs(box_iou(np.array([a]), np.array([a]))[0, 0] - 1.0) < 1e-9


def test_known_values() -> None:
    assert box_area(np.array([[0, 0, 10, 20]]))[0] == 200
    iou = box_iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))[0, 0]
    assert abs(iou - 50 / 150) < 1e-12


@given(boxes())
def test_normalise_round_trip(a) -> None:
    back = denormalise_box(normalise_box(a, 1001, 1001), 1001, 1001)
    assert np.allclose(back, a)


def test_box_iou_matrix_equals_the_pairwise_definition_exactly() -> None:
    # every pair, in plain Python floats: same arithmetic, so equal to the last bit
    rng = np.random.default_rng(3)
    corners = rng.integers(0, 30, size=(40, 2))
    sizes = rng.integers(0, 20, size=(40, 2)) * (rng.random((40, 2)) > 0.15)  # some zero-area
    boxes = np.concatenate([corners, corners + sizes], axis=1).astype(np.float64)  # touching, nested
    a, b = boxes[:25], boxes[20:]  # five boxes on both sides: IoU 1
    got = box_iou(a, b)
    for i, p in enumerate(a.tolist()):
        for j, q in enumerate(b.tolist()):
            w = max(min(p[2], q[2]) - max(p[0], q[0]), 0.0)
            h = max(min(p[3], q[3]) - max(p[1], q[1]), 0.0)
            inter = w * h
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
            assert got[i, j] == (inter / union if union > 0 else 0.0)
    assert (got == 0).any() and (got == 1).any() and ((got > 0) & (got < 1)).any()  # all kinds drawn
