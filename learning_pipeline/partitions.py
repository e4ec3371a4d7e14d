"""The daily partitions every trace-derived asset shares."""

import dagster as dg

from learning_pipeline.config import partition_start_from_env

# end_offset=1 makes today a partition too, so traces arriving today are processed today.
daily_partitions = dg.DailyPartitionsDefinition(start_date=partition_start_from_env(), end_offset=1)
