"""Script-mode entry point the SKLearn estimator ships in sourcedir.tar.gz (runs inside the training job).

Hyperparameters arrive as command-line options (``--C 0.5``); the script saves what it parsed and the
SM_HPS it saw next to the model, so the test can check that each value reached it with its type.
termcolor comes from requirements.txt, which the job installs before running the script.
"""

from __future__ import annotations

import argparse
import json
import os

import joblib
import pandas as pd
import termcolor
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--C", type=float, required=True)
parser.add_argument("--max_iter", type=int, required=True)
parser.add_argument("--run_label", required=True)
args = parser.parse_args()

frame = pd.read_csv(os.path.join(os.environ["SM_CHANNEL_TRAIN"], "iris.csv"), header=None)
features, labels = frame.iloc[:, 1:], frame.iloc[:, 0]
x_train, x_val, y_train, y_val = train_test_split(features, labels, test_size=0.3, random_state=0, stratify=labels)
model = LogisticRegression(C=args.C, max_iter=args.max_iter).fit(x_train, y_train)
print(termcolor.colored(f"validation accuracy: {model.score(x_val, y_val):.4f}", None))

model_dir = os.environ["SM_MODEL_DIR"]
joblib.dump(model, os.path.join(model_dir, "model.joblib"))
with open(os.path.join(model_dir, "received.json"), "w") as out:
    json.dump({"args": vars(args), "sm_hps": json.loads(os.environ["SM_HPS"])}, out)
