"""Timing driver for ProVision's data generators (run by `provision_side_by_side.py`).

Runs in ProVision's own Python environment (numpy, scipy, inflect, networkx, tqdm, pillow), with a
ProVision checkout given by --provision-src; it imports nothing from veriscene.

usage:
  python _provision_driver.py --provision-src CHECKOUT --annotations DIR [--single] [--multi] [--workers N]
                              [--repeats R] [--out FILE] [--multi-samples K] [--n-data M] [--gen-timeout S] [--strict]

DIR is a ProVision annotation folder as in notebooks/baseball_sample_annotations:
  object-detection-annotations.json   (must exist: it is the base every other stage is merged into)
  segmentation-annotations.json        (optional)   + DIR/seg_masks/<seg_mask_id>   (pickle: list of scipy.sparse bool HxW)
  depth-estimation-annotations.json    (optional)   + DIR/depth_masks/<depth_mask_id> (np.save HxW array, 0..255)
  image-attributes-annotations.json    (optional)
  relation-annotations-parsed.json     (optional)
Files are merged exactly as provision.dataset.JointDataset does (key-wise dict.update of "annotation").

Flow (same calls as notebooks/demo_single.ipynb and demo_multi.ipynb):
  single: JointDataset -> JointGenerator(all single-image generator lists, template_mode='qa',
          return_templated=False, n_sample_per_generator=1) -> collect_metadata(N) ->
          generate(metadata_count, n_workers=N) -> template(qas, multiple_choice_ratio=0.0)
  multi:  JointDataset -> JointGenerator(all multi-image lists, n_data=M, n_sample=K) ->
          generate() -> multi_image_template(qas, multiple_choice_ratio=0.0)
JointGenerator.generate/collect_metadata are reproduced as the same per-generator loop (same order,
same arguments) so that each generator can be timed and, optionally, time-limited.

Generators whose required annotation stage is absent (ProVision itself would crash with
TypeError/AttributeError) are skipped and listed, unless --strict.
Timing: wall clock per repeat, from before the annotation loading to after templating;
Python start-up and imports are excluded.
"""
import argparse
import json
import os
import resource
import signal
import statistics
import sys
import time
from collections import Counter

def _checkout() -> str:
    """--provision-src, read before argparse: ProVision must be importable before main() runs."""
    for i, arg in enumerate(sys.argv):
        if arg == "--provision-src" and i + 1 < len(sys.argv):
            return os.path.abspath(sys.argv[i + 1])
        if arg.startswith("--provision-src="):
            return os.path.abspath(arg.split("=", 1)[1])
    sys.exit("--provision-src CHECKOUT is required (a clone of github.com/JieyuZ2/ProVision)")


sys.path.insert(0, _checkout())

# ---- imports (excluded from timing) ----
from provision.base import JointGenerator, get_empty_metadata_count  # noqa: E402
from provision.dataset import JointDataset  # noqa: E402
from provision.generators.single_image.object import ObjectGeneratorList  # noqa: E402
from provision.generators.single_image.attribute import AttributeGeneratorList  # noqa: E402
from provision.generators.single_image.relation import RelationGeneratorList  # noqa: E402
from provision.generators.single_image.segmentation import SegmentationGeneratorList  # noqa: E402
from provision.generators.single_image.depth import DepthGeneratorList  # noqa: E402
from provision.generators.single_image.object_depth import ObjectDepthGenerator  # noqa: E402
from provision.generators.single_image.scene_graph import SceneGraphGeneratorList  # noqa: E402
from provision.generators.multi_image.select import MultiSelectGeneratorList  # noqa: E402
from provision.generators.multi_image.aggregate import MultiAggregateGeneratorList  # noqa: E402
from provision.generators.multi_image.compare import MultiCompareGeneratorList  # noqa: E402

STAGE_FILES = [  # order used by the notebooks; the first is the merge base
    'object-detection-annotations.json',
    'segmentation-annotations.json',
    'depth-estimation-annotations.json',
    'image-attributes-annotations.json',
    'relation-annotations-parsed.json',
]

# notebook order
SINGLE_GROUPS = [
    ('object', ObjectGeneratorList, {'bboxes', 'labels'}),
    ('attribute', AttributeGeneratorList, {'bboxes', 'labels', 'attributes'}),
    ('relation', RelationGeneratorList, {'bboxes', 'labels', 'relations'}),
    ('segmentation', SegmentationGeneratorList, {'seg_mask_id'}),
    ('depth', DepthGeneratorList, {'depth_mask_id'}),
    ('object_depth', ObjectDepthGenerator, {'bboxes', 'labels', 'seg_mask_id', 'depth_mask_id'}),
    ('scene_graph', SceneGraphGeneratorList, {'bboxes', 'labels', 'attributes', 'relations'}),
]
MULTI_NEEDS = {
    'HasRelationMultiGenerator': {'labels', 'relations'},
    'HasNotRelationMultiGenerator': {'labels', 'relations'},
    'HasObjectMultiGenerator': {'labels'},
    'HasNotObjectMultiGenerator': {'labels'},
    'HasAttributedObjectMultiGenerator': {'labels', 'attributes'},
    'HasNotAttributedObjectMultiGenerator': {'labels', 'attributes'},
    'HasMostObjectMultiGenerator': {'labels'},
    'HasLeastObjectMultiGenerator': {'labels'},
    'CommonObjectMultiGenerator': {'labels'},
    'CommonAttributeMultiGenerator': {'labels', 'attributes'},
    'CountObjectMultiGenerator': {'labels'},
    'CountAttributeObjectMultiGenerator': {'labels', 'attributes'},
    'CompareRelationMultiGenerator': {'labels', 'relations'},
    'CompareAttributeMultiGenerator': {'labels', 'attributes'},
}
MULTI_LIST = MultiSelectGeneratorList + MultiAggregateGeneratorList + MultiCompareGeneratorList


class GenTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise GenTimeout()


def stage_paths(d):
    paths = [os.path.join(d, f) for f in STAGE_FILES if os.path.exists(os.path.join(d, f))]
    if not paths or not paths[0].endswith(STAGE_FILES[0]):
        sys.exit(f'{d}: {STAGE_FILES[0]} is required (it is the base that ProVision merges the other stages into)')
    return paths


def keys_present_everywhere(dataset):
    keys = None
    for raw in dataset.raw_annotations:
        k = {key for key, v in raw.items() if v is not None}
        keys = k if keys is None else keys & k
    return keys or set()


def rss_mib():
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(self_kib / 1024, 1), round(child_kib / 1024, 1)


def run_generators(generators, call, timeout):
    """Same loop as JointGenerator.generate / collect_metadata, timed per generator."""
    out, per_sec, failed = [], {}, {}
    for g in generators:
        name = g.__class__.__name__
        t = time.perf_counter()
        if timeout:
            signal.signal(signal.SIGALRM, _alarm)
            signal.alarm(timeout)
        try:
            out.append((g, call(g)))
        except GenTimeout:
            failed[name] = f'timeout after {timeout}s'
        finally:
            if timeout:
                signal.alarm(0)
        per_sec[name] = per_sec.get(name, 0.0) + time.perf_counter() - t
    return out, per_sec, failed


def one_run(args, mode):
    t0 = time.perf_counter()
    dataset = JointDataset(stage_paths(args.annotations), seg_dir_path=args.seg_dir, depth_dir_path=args.depth_dir)
    t_load = time.perf_counter() - t0
    present = keys_present_everywhere(dataset)

    skipped = {}
    if mode == 'single':
        gens = []
        for group, lst, needs in SINGLE_GROUPS:
            if args.strict or needs <= present:
                gens += lst
            else:
                for G in lst:
                    skipped[G.__name__] = 'missing ' + ','.join(sorted(needs - present))
        jg = JointGenerator(dataset=dataset, generators=gens, template_mode='qa', return_templated=False,
                            n_sample_per_generator=1)
    else:
        gens = []
        for G in MULTI_LIST:
            needs = MULTI_NEEDS[G.__name__]
            if args.strict or needs <= present:
                gens.append(G)
            else:
                skipped[G.__name__] = 'missing ' + ','.join(sorted(needs - present))
        jg = JointGenerator(dataset=dataset, generators=gens, template_mode='qa', return_templated=False,
                            n_data=args.n_data, n_sample=args.multi_samples)

    timings = {'load_annotations': t_load}
    gen_seconds = {}
    failed = {}
    if mode == 'single':
        # == JointGenerator.collect_metadata(n_workers=N)
        t = time.perf_counter()
        metadata = get_empty_metadata_count()
        res, sec, fail = run_generators(
            [g for g in jg.generators if g.metadata],
            lambda g: g.collect_metadata(n_workers=args.workers, n_sample=1e4), args.gen_timeout)
        for _, m in res:
            for k, v in m.items():
                for vv, cnt in v.items():
                    metadata[k][vv] = metadata[k].get(vv, 0) + cnt
        failed.update({k: 'collect_metadata: ' + v for k, v in fail.items()})
        for k, v in sec.items():
            gen_seconds[k] = gen_seconds.get(k, 0.0) + v
        timings['collect_metadata'] = time.perf_counter() - t
        # == JointGenerator.generate(metadata_count=metadata, n_workers=N, verbose=False)
        t = time.perf_counter()
        res, sec, fail = run_generators(
            jg.generators, lambda g: g.generate(metadata_count=metadata, verbose=False, n_workers=args.workers),
            args.gen_timeout)
    else:
        t = time.perf_counter()
        res, sec, fail = run_generators(jg.generators, lambda g: g.generate(n_workers=args.workers), args.gen_timeout)
    qas = [d for _, lst in res for d in lst]
    failed.update(fail)
    for k, v in sec.items():
        gen_seconds[k] = gen_seconds.get(k, 0.0) + v
    timings['generate'] = time.perf_counter() - t

    t = time.perf_counter()
    if mode == 'single':
        instructions = jg.template(qas, multiple_choice_ratio=args.mc_ratio)
    else:
        instructions = jg.multi_image_template(qas, multiple_choice_ratio=args.mc_ratio)
    timings['template'] = time.perf_counter() - t
    total = time.perf_counter() - t0
    return dict(dataset=dataset, jg=jg, qas=qas, instructions=instructions, total=total, timings=timings,
                gen_seconds=gen_seconds, skipped=skipped, failed=failed, present=present)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--provision-src', required=True, help='a ProVision checkout (its provision/ package is imported)')
    ap.add_argument('--annotations', required=True)
    ap.add_argument('--single', action='store_true')
    ap.add_argument('--multi', action='store_true')
    ap.add_argument('--workers', type=int, default=1, help="ProVision's n_workers (multiprocessing.Pool per generator when >1; multi-image generators ignore it)")
    ap.add_argument('--repeats', type=int, default=1)
    ap.add_argument('--out', default=None, help='JSONL of the generated (templated) samples of the last repeat')
    ap.add_argument('--multi-samples', type=int, default=1, help='n_sample per multi-image generator (notebook: 1)')
    ap.add_argument('--n-data', type=int, default=2, help='images per multi-image sample (notebook: 2)')
    ap.add_argument('--mc-ratio', type=float, default=0.0, help='multiple_choice_ratio for templating (notebook: 0.0)')
    ap.add_argument('--seg-dir', default=None, help='default DIR/seg_masks')
    ap.add_argument('--depth-dir', default=None, help='default DIR/depth_masks')
    ap.add_argument('--gen-timeout', type=int, default=0, help='seconds per generator, 0 = none (multi-image generators loop until n_sample distinct samples exist)')
    ap.add_argument('--strict', action='store_true', help='do not skip generators whose annotation stage is missing')
    args = ap.parse_args()
    if not (args.single or args.multi):
        args.single = True
    args.annotations = os.path.abspath(args.annotations)
    args.seg_dir = args.seg_dir or os.path.join(args.annotations, 'seg_masks')
    args.depth_dir = args.depth_dir or os.path.join(args.annotations, 'depth_masks')

    report = {'annotations': args.annotations, 'workers': args.workers, 'repeats': args.repeats,
              'PYTHONHASHSEED': os.environ.get('PYTHONHASHSEED')}
    out_f = open(args.out, 'w') if args.out else None
    for mode in (['single'] if args.single else []) + (['multi'] if args.multi else []):
        runs = [one_run(args, mode) for _ in range(args.repeats)]
        last = runs[-1]
        secs = [r['total'] for r in runs]
        med = statistics.median(secs)
        n = len(last['instructions'])
        self_rss, child_rss = rss_mib()
        entry = {
            'images': len(last['dataset']),
            'samples': n,
            'seconds': round(med, 4),
            'seconds_all_repeats': [round(s, 4) for s in secs],
            'samples_per_second': round(n / med, 2) if med > 0 else None,
            'peak_rss_mib': self_rss,
            'peak_rss_children_mib': child_rss,
            'phase_seconds_last_repeat': {k: round(v, 4) for k, v in last['timings'].items()},
            'per_generator_samples': {g.__class__.__name__: 0 for g in last['jg'].generators} | dict(Counter(d['generator'] for d in last['qas'])),
            'per_generator_seconds_metadata_plus_generate': {k: round(v, 4) for k, v in last['gen_seconds'].items()},
            'generators_run': len(last['jg'].generators),
            'skipped_generators': last['skipped'],
            'failed_generators': last['failed'],
            'annotation_keys_present': sorted(last['present']),
        }
        if mode == 'multi':
            entry['requested_samples'] = args.multi_samples * len(last['jg'].generators)
            entry['n_data'] = args.n_data
            entry['n_sample_per_generator'] = args.multi_samples
        report[mode] = entry
        if out_f:
            for qa, ins in zip(last['qas'], last['instructions']):
                out_f.write(json.dumps({'mode': mode, 'generator': qa['generator'], 'image': ins['image'],
                                        'conversations': ins['conversations'], 'metadata': qa.get('metadata')},
                                       default=lambda o: o.item() if hasattr(o, 'item') else str(o)) + '\n')
    if out_f:
        out_f.close()
    print(json.dumps(report, indent=2, default=str))


if __name__ == '__main__':
    main()
