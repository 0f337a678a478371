"""Drain3 (PyPI `drain3`), untuned, on the Loghub-2k samples: the peer of logq's template miner in `make bench`.

Prints one JSON object: per-dataset grouping accuracy (as Loghub scores it) and lines per second, with
Drain3's default TemplateMinerConfig (similarity 0.4, depth 4, no masking) and the cluster id per line.
Usage: python drain3_peer.py LOGHUB_FOLDER
"""
import csv
import json
import logging
import sys
import time
from collections import Counter, defaultdict

from drain3 import TemplateMiner
from drain3.template_miner_config import TemplateMinerConfig

logging.disable(logging.CRITICAL)
DATASETS = ("Android Apache BGL HDFS HPC Hadoop HealthApp Linux Mac OpenSSH OpenStack Proxifier Spark "
            "Thunderbird Windows Zookeeper").split()


def load(root, dataset):
    with open(f"{root}/{dataset}/{dataset}_2k.log_structured_corrected.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["Content"] for r in rows], [r["EventTemplate"] for r in rows]


def grouping_accuracy(predicted, truth):
    sizes = Counter(truth)
    groups = defaultdict(list)
    for line, label in enumerate(predicted):
        groups[label].append(line)
    correct = 0
    for lines in groups.values():
        labels = {truth[i] for i in lines}
        if len(labels) == 1 and sizes[truth[lines[0]]] == len(lines):
            correct += len(lines)
    return correct / len(truth)


def main():
    root = sys.argv[1]
    result = {"datasets": {}, "lines": 0, "seconds": 0.0}
    for dataset in DATASETS:
        contents, templates = load(root, dataset)
        miner = TemplateMiner(config=TemplateMinerConfig())
        started = time.perf_counter()
        ids = [miner.add_log_message(line)["cluster_id"] for line in contents]
        seconds = time.perf_counter() - started
        result["datasets"][dataset] = grouping_accuracy(ids, templates)
        result["lines"] += len(contents)
        result["seconds"] += seconds
    print(json.dumps(result))


main()
