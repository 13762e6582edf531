# Copyright 2026 gr-semcom authors.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``semcom features``: media files → an AVE-format dataset (VGGish audio, VGG-19 pool5 visual)."""
from __future__ import annotations

import argparse
import logging
from ..errors import InputError

log = logging.getLogger("semcom.features")


def add_parser(commands) -> None:
    from ..data.weights import VGG19_FILE, VGG19_URL, VGGISH_FILE, VGGISH_URL
    parser = commands.add_parser(
        "features", help="extract AVE-format features from your own video files",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Decode video files (audio and video streams, any format FFmpeg reads), cut them into "
        "aligned one-second segments and write an AVE-format dataset folder as AVE's release holds it: VGGish "
        "embeddings (the raw post-ReLU 128-d output, no PCA or quantisation, 0.96 s examples framed per 10 s row "
        "as AVE did) and VGG-19 pool5 maps averaged per second, float64. Each 10 s of a clip "
        "make one dataset row; a last partial row is zero-padded (sources.tsv says which segments are real). "
        "Weights are read from local files, never downloaded: "
        f"{VGGISH_FILE} from {VGGISH_URL} and {VGG19_FILE} from {VGG19_URL}.")
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="media files with a video and an audio stream")
    parser.add_argument("--out", required=True, help="dataset folder to write")
    parser.add_argument("--vggish", required=True, metavar="FILE", help=f"VGGish state dict ({VGGISH_FILE})")
    parser.add_argument("--vgg19", required=True, metavar="FILE", help=f"torchvision VGG-19 state dict ({VGG19_FILE})")
    parser.add_argument("--annotations", metavar="FILE",
                        help="AVE-format Annotations.txt for the labels (VideoID = file name without extension); "
                        "without it every segment is background")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where the networks run")
    parser.add_argument("--split", choices=("train", "val", "test", "all"), default="test",
                        help="order file that lists the rows (the others stay empty); all: every clip's rows go "
                        "to one split, 10 %% of the clips to val, 10 %% to test, the rest to train (for training "
                        "on your own media)")
    parser.add_argument("--seed", type=int, default=0, help="with --split all: which clips go where")
    parser.add_argument("--frames-per-second", type=int, default=16,
                        help="frames per second through VGG-19, evenly spread (AVE used 16)")
    parser.add_argument("--visual-dtype", choices=("float16", "float32", "float64"), default="float64",
                        help="storage type of visual_feature.h5 (AVE's: float64; float32 halves the file)")
    parser.set_defaults(run=run_features)


def run_features(args) -> int:
    from ..data.features import FeatureConfig, write_features
    if args.frames_per_second < 1:
        raise InputError(f"--frames-per-second must be >= 1, got {args.frames_per_second}")
    if args.device == "cuda":
        import torch
        if not torch.cuda.is_available():
            raise InputError("--device cuda: torch sees no CUDA device here (use --device cpu)")
    config = FeatureConfig(videos=args.videos, out=args.out, vggish=args.vggish, vgg19=args.vgg19,
                           annotations=args.annotations, device=args.device, split=args.split, seed=args.seed,
                           frames_per_second=args.frames_per_second, visual_dtype=args.visual_dtype)
    report = write_features(config)
    log.info("wrote %s: %d rows from %d clips, %d one-second segments in %.1f s (%.2f s of media per second)",
             args.out, report.rows, len(args.videos), report.seconds, report.wall_seconds, report.speed)
    return 0
