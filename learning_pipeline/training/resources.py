"""Where the training step runs: a local subprocess by default, a Kubernetes pod on GPU nodes."""

import os
import sys
from pathlib import Path
from typing import Optional

import dagster as dg

REPO_ROOT = Path(__file__).resolve().parents[2]
TRAIN_STEP = ["-m", "learning_pipeline.training.train_step"]


class TrainingLauncher(dg.ConfigurableResource):
    """Starts `train_step` through Dagster Pipes and returns what it reported."""

    kind: str = "subprocess"  # "subprocess" | "k8s"
    python: Optional[str] = None  # another interpreter, e.g. an environment with unsloth
    backend: str = "trl"  # "trl" | "unsloth"
    k8s_image: Optional[str] = None
    k8s_namespace: str = "default"

    @classmethod
    def from_env(cls) -> "TrainingLauncher":
        return cls(
            kind=os.environ.get("LEARNING_TRAINING_LAUNCHER", "subprocess"),
            python=os.environ.get("LEARNING_TRAINING_PYTHON"),
            backend=os.environ.get("LEARNING_TRAINING_BACKEND", "trl"),
            k8s_image=os.environ.get("LEARNING_TRAINING_IMAGE"),
        )

    def launch(self, context: dg.AssetExecutionContext, extras: dict) -> dg.PipesClientCompletedInvocation:
        extras = {**extras, "backend": self.backend}
        if self.kind == "subprocess":
            # The step may run in another interpreter that does not have this package installed.
            env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
                   "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"),
                   # Progress and loss come back as Pipes log lines; library progress bars are noise there.
                   "HF_DATASETS_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
                   "PYTHONWARNINGS": "ignore::FutureWarning"}
            return dg.PipesSubprocessClient().run(
                context=context, command=[self.python or sys.executable, *TRAIN_STEP], extras=extras, env=env,
            )
        if self.kind == "k8s":
            try:
                from dagster_k8s import PipesK8sClient
            except ImportError as err:
                raise dg.Failure(
                    "LEARNING_TRAINING_LAUNCHER=k8s needs the dagster-k8s package in the orchestrator's environment"
                ) from err
            if not self.k8s_image:
                raise dg.Failure("LEARNING_TRAINING_LAUNCHER=k8s needs LEARNING_TRAINING_IMAGE (an image with this package)")
            # The lake and models must be on shared storage (object store or a volume) for a pod to see them.
            return PipesK8sClient().run(
                context=context, image=self.k8s_image, namespace=self.k8s_namespace,
                command=["python", *TRAIN_STEP], extras=extras,
            )
        raise dg.Failure(f"unknown training launcher kind {self.kind!r}; expected 'subprocess' or 'k8s'")
