"""Background jobs on PostgreSQL (procrastinate): the queue, the worker, and batched jobs that
resume where a killed worker left them. Areas and the modules above them register tasks with
`queue.job`; nothing here knows any area."""
