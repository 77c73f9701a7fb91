"""One run of the XGBoost algorithm inside a training container tree.

Follows SageMaker's XGBoost container in algorithm mode: validate hyperparameters, read the
``train`` (required) and ``validation`` (optional) channels, resume from the newest checkpoint,
train with a log line per round and early stopping on the validation set, then write
``<model dir>/xgboost-model``. With more than one host the hosts train one model together through
a Rabit group (:mod:`drydock.algorithms.xgboost.rabit_group`) and only the master logs and saves.
"""

from __future__ import annotations

import logging
import os
import sys

import xgboost as xgb

from drydock.algorithms.xgboost.channel_data import read_channel_data, to_dmatrix
from drydock.algorithms.xgboost.checkpoints import CheckpointCallback, latest_checkpoint, write_booster
from drydock.algorithms.xgboost.environment import Environment
from drydock.algorithms.xgboost.hyperparameters import XGBoostHyperparameters, validate_hyperparameters
from drydock.algorithms.xgboost.rabit_group import Peers, joined
from drydock.errors import ValidationError

EvalsLog = xgb.callback.TrainingCallback.EvalsLog
log = logging.getLogger("drydock.algorithms.xgboost")

MODEL_NAME = "xgboost-model"


class ChannelError(ValidationError):
    """A channel is missing or empty; SageMaker reports these as the user's error."""


class RoundLog(xgb.callback.TrainingCallback):
    """Prints ``[<round>]\\ttrain-<metric>:<value>\\tvalidation-<metric>:<value>`` per round.

    The container's format, with rounds counted over the whole job (a resumed job goes on at the
    checkpoint's round) and values with five decimals; flushed so the log stream and the metric
    regexes see each round as it ends.
    """

    def __init__(self, start_round: int) -> None:
        super().__init__()
        self.start_round = start_round

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: EvalsLog) -> bool:
        fields = [f"{data}-{name}:{_last(v):.5f}" for data, scores in evals_log.items() for name, v in scores.items()]
        print("\t".join([f"[{self.start_round + epoch}]", *fields]), flush=True)
        return False


def train(env: Environment) -> xgb.Booster:
    """Run the algorithm; raises ``ValidationError`` subclasses for the user's mistakes."""
    hps = validate_hyperparameters(env.hyperparameters, env.num_cpus)
    if "train" not in env.input_data_config:
        raise ChannelError("Channel train is required by the XGBoost algorithm; add it to InputDataConfig")
    dtrain = _channel(env, "train", hps)
    if dtrain is None:
        raise ChannelError(f"No data in training channel path {env.channel_dir('train')}")
    dvalid = _channel(env, "validation", hps) if "validation" in env.input_data_config else None
    if "validation" in env.input_data_config and dvalid is None:
        raise ChannelError(f"No data in validation channel path {env.channel_dir('validation')}")
    log.info("Train matrix has %d rows and %d columns", dtrain.num_row(), dtrain.num_col())
    if dvalid is not None:
        log.info("Validation matrix has %d rows", dvalid.num_row())
    peers = Peers.from_env(os.environ)
    if peers is None:
        booster = _boost(env, hps, dtrain, dvalid, log_rounds=True)
    else:
        # Each host has read its own data first: the group's timeout then bounds only the wait for
        # slower peers, not the data loading.
        with joined(peers):
            booster = _boost(env, hps, dtrain, dvalid, log_rounds=peers.is_master)
        if not peers.is_master:
            # SageMaker uploads only algo-1's model; the other hosts' copies are identical anyway.
            log.info("Rank %d finished training; the master host stores the model", peers.rank)
            return booster
    env.model_dir.mkdir(parents=True, exist_ok=True)
    write_booster(booster, env.model_dir / MODEL_NAME)
    log.info("Stored trained model at %s", env.model_dir / MODEL_NAME)
    return booster


def _boost(
    env: Environment,
    hps: XGBoostHyperparameters,
    dtrain: xgb.DMatrix,
    dvalid: xgb.DMatrix | None,
    *,
    log_rounds: bool,
) -> xgb.Booster:
    # Every worker evaluates (the metrics are allreduced across the group) but, as the container's
    # rabit-aware logging, only the master prints the round lines.
    resumed, start_round = latest_checkpoint(env.checkpoint_dir)
    if resumed is not None:
        log.info("Resuming from checkpoint in %s at round %d", env.checkpoint_dir, start_round)
    callbacks: list[xgb.callback.TrainingCallback] = [RoundLog(start_round)] if log_rounds else []
    if env.checkpointing:
        # Serialising the growing model every round costs real time (measured by bench/training.py),
        # so, like SageMaker's container, only jobs with a CheckpointConfig pay for it.
        callbacks.append(CheckpointCallback(env.checkpoint_dir, start_round))
    if hps.early_stopping_rounds:
        callbacks.append(_early_stopping(hps, has_validation=dvalid is not None))
    evals = [(dtrain, "train")] + ([(dvalid, "validation")] if dvalid is not None else [])
    return xgb.train(
        hps.params,
        dtrain,
        num_boost_round=max(hps.num_round - start_round, 0),
        evals=evals,
        callbacks=callbacks,
        xgb_model=resumed,
        verbose_eval=False,
    )


def _early_stopping(hps: XGBoostHyperparameters, *, has_validation: bool) -> xgb.callback.EarlyStopping:
    # As the container: watch the last eval_metric on the validation set (xgboost's default metric
    # and last data set otherwise); the saved model keeps every round, best_iteration is recorded.
    assert hps.early_stopping_rounds is not None
    return xgb.callback.EarlyStopping(
        rounds=hps.early_stopping_rounds,
        metric_name=hps.eval_metrics[-1] if hps.eval_metrics else None,
        data_name="validation" if has_validation else None,
        save_best=False,
    )


def _channel(env: Environment, name: str, hps: XGBoostHyperparameters) -> xgb.DMatrix | None:
    config = env.input_data_config.get(name, {})
    dataset = read_channel_data(config, env.channel_dir(name), env.tree.pipe(name, 0))
    if dataset is None:
        return None
    content_type = config.get("ContentType")
    return to_dmatrix(dataset, content_type, csv_weights=hps.csv_weights and name == "train")


def _last(values: list[float] | list[tuple[float, float]]) -> float:
    value = values[-1]
    return value[0] if isinstance(value, tuple) else value


def configure_logging() -> None:
    """Log lines like the container's ``[2024-01-01:00:00:00:INFO:root] ...`` on stderr."""
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="[%(asctime)s:%(levelname)s:%(name)s] %(message)s",
        datefmt="%Y-%m-%d:%H:%M:%S",
    )
