"""Admin layer (经办管理): township staffing and purchased services with the 2% cap.

Pure functions on recipient and task counts (docs/contracts.md §6):

* ``staffing.required_staff`` — the ratio rule (qijiang 三(三): 2–4‰ of recipients, at least 2
  staff where a township has fewer than 1,000), ``staffing.office_queue`` — staff-hours, backlog
  and days to decision against the legal limit for a given staffing;
* ``services.assess_cap`` — purchased-services cost against 2% of the year's central and
  provincial assistance funds (jiaohe 17, lanzhou 十八), ``services.estimate_cap_base`` — a
  labelled estimate of those funds;
* ``parameters.load_admin_parameters`` — hours per task and other non-policy figures
  (data/scenarios/admin_parameters.yaml, each with a reference).
"""
