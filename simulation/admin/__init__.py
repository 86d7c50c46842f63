"""Admin layer (经办管理): township staffing and purchased services with the 2% cap.

Pure functions on recipient and task counts (docs/contracts.md §6):

* ``staffing.required_staff`` — the ratio rule (qijiang 三(三): 2–4‰ of recipients, at least 2
  staff where a township has fewer than 1,000);
* ``offices.office_month`` — the one township-office model (the engine's Mesa offices call it;
  ``offices.replay`` runs it again on an engine run's work with other staff): hours, queue, days
  to decision against the legal limit, late reviews, village assistants and purchased casework;
* ``services.assess_cap`` — purchased-services cost against 2% of the year's central and
  provincial assistance funds (jiaohe 17, lanzhou 十八), ``services.estimate_cap_base`` — a
  labelled estimate of those funds;
* ``parameters.load_admin_parameters`` — the national figures behind the cap-base estimate
  (data/scenarios/admin_parameters.yaml, each with a reference).
"""
