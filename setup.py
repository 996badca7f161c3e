"""The shoplake package (sources in lib/), with the ``shoplake`` console command."""
from setuptools import find_packages, setup

setup(
    name="shoplake",
    version="0.1.0",
    description="E-commerce lakehouse and machine-learning pipeline on Apache Spark and Delta Lake",
    python_requires=">=3.11,<3.12",
    package_dir={"": "lib"},
    packages=find_packages("lib"),
    install_requires=[
        "pyspark>=4.0,<4.1",
        "pyarrow>=14,<15",
        "numpy>=1.26,<2",
        "pandas>=2.2,<2.3",
        "pyyaml>=6",
        "deltalake>=1.6,<1.7",
        "boto3>=1.35,<2",  # S3's conditional PUT (If-None-Match) for commits on s3a:// lake roots
        "delta-spark>=4.0,<4.1",
        "mlflow>=3.17,<3.18",
        "great-expectations>=1.24,<1.25",
        "petastorm==0.12.1",
        "torch==2.13.0",
        "tokenizers==0.23.3",
        "safetensors==0.8.0",
        "statsforecast==2.1.1",  # the local forecast families (AutoETS, AutoARIMA, AutoTheta, CES, Croston…)
    ],
    extras_require={
        "test": ["pytest>=8", "delta-kernel-rust-sharing-wrapper==0.3.3", "moto[server]==5.2.6", "boto3==1.44.18"],
        "bench": ["implicit==0.7.3"],
    },
    entry_points={"console_scripts": ["shoplake=shoplake.cli:main"]},
)
